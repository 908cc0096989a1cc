import { kafkaClusters } from './kafka-clusters';

describe('kafkaClusters', () => {
  it('names WAIL_KAFKA_BROKERS "main" and adds every entry', () => {
    expect([...kafkaClusters(['a:9092'], undefined)]).toEqual([['main', ['a:9092']]]);
    expect([...kafkaClusters(['a:9092'], ' hot = b:9192, c:9192 ; cold=d:1 ;')]).toEqual([
      ['main', ['a:9092']],
      ['hot', ['b:9192', 'c:9192']],
      ['cold', ['d:1']],
    ]);
  });

  it('lets WAIL_KAFKA_CLUSTERS name main itself', () => {
    expect(kafkaClusters(['a:9092'], 'main=m:9092').get('main')).toEqual(['m:9092']);
  });

  it.each([
    ['Hot=b:1', 'a cluster name is lower-case'],
    ['hot', 'needs a comma-separated host:port list'],
    ['hot=b', 'needs a comma-separated host:port list'],
    ['hot=b:1;hot=c:1', 'named twice'],
    ['=b:1', 'a cluster name'],
  ])('refuses %j', (text, message) => {
    expect(() => kafkaClusters(['a:9092'], text)).toThrow(message);
    expect(() => kafkaClusters(['a:9092'], text)).toThrow(/WAIL_KAFKA_CLUSTERS/);
  });

  it('bounds the number of clusters', () => {
    const many = Array.from({ length: 16 }, (_, i) => `c${i}=h:1`).join(';');
    expect(() => kafkaClusters(['a:9092'], many)).toThrow('at most 16 clusters');
  });
});
