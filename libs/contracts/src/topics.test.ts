import {
  DEFAULT_TOPIC_POLICY,
  defaultEventTopic,
  eventTopicProblems,
  intentTopicProblems,
  sameTopic,
  topicNameProblem,
} from './topics';

describe('topic names', () => {
  it.each(['wail.intents', 'a', 'A-b_c.9', 'x'.repeat(249)])('accepts %s', (topic) => {
    expect(topicNameProblem(topic)).toBeUndefined();
  });

  it.each([
    ['', 'legal Kafka topic name'],
    ['.', 'legal Kafka topic name'],
    ['..', 'legal Kafka topic name'],
    ['x'.repeat(250), 'legal Kafka topic name'],
    ['wail intents', 'legal Kafka topic name'],
    ['__consumer_offsets', 'reserves for internal topics'],
    [42, 'must be a string'],
  ])('refuses %j: %s', (topic, reason) => {
    expect(topicNameProblem(topic)).toContain(reason);
  });

  it('treats names that differ only in "." versus "_" as one topic, as Kafka does', () => {
    expect(sameTopic('wail.dlq', 'wail_dlq')).toBe(true);
    expect(sameTopic('wail.dlq', 'wail.dlq2')).toBe(false);
  });

  it('names the default event topic after the table', () => {
    expect(defaultEventTopic('customers')).toBe('wail.events.customers');
  });
});

describe('the topic policy', () => {
  it('lets a route and a model use WAIL topics of their own', () => {
    expect(intentTopicProblems('wail.intents.shop', DEFAULT_TOPIC_POLICY)).toEqual([]);
    expect(eventTopicProblems('wail.events.customers', DEFAULT_TOPIC_POLICY)).toEqual([]);
  });

  it('keeps intent topics off the prefixes and off the consumers own topics', () => {
    expect(
      intentTopicProblems('shop_dlq', { ...DEFAULT_TOPIC_POLICY, deadLetterTopic: 'shop.dlq' }),
    ).toEqual([
      '"intentTopic" "shop_dlq" must start with an allowed prefix: "wail" (WAIL_INTENT_TOPIC_PREFIXES)',
      '"intentTopic" "shop_dlq" is the same Kafka topic as the dead-letter topic "shop.dlq" ("." and "_" collide): a route or a model never names the consumer\'s own topics',
    ]);
    expect(intentTopicProblems('__x', DEFAULT_TOPIC_POLICY)).toEqual([
      '"intentTopic" starts with "__", which Kafka reserves for internal topics',
    ]);
  });

  it('keeps event topics off the default intent topic and the consumers own topics', () => {
    expect(eventTopicProblems('wail_intents', DEFAULT_TOPIC_POLICY)).toEqual([
      '"eventTopic" "wail_intents" is the default intent topic "wail.intents": an event topic is never an intent topic',
    ]);
    expect(eventTopicProblems('wail.intents.unmaterialized', DEFAULT_TOPIC_POLICY)).toEqual([
      '"eventTopic" "wail.intents.unmaterialized" is the unmaterialized-intents topic (WAIL_UNMATERIALIZED_TOPIC): a route or a model never names the consumer\'s own topics',
    ]);
  });
});
