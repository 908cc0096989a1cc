import { EventSizeBound } from './event-size';

describe('EventSizeBound', () => {
  it('is the configured bound without topic limits, or when a topic allows more', async () => {
    expect(await new EventSizeBound(1000, undefined).limitFor('t')).toEqual({
      bytes: 1000,
      bound: 'WAIL_CONSUMER_MAX_EVENT_BYTES',
    });
    expect(await new EventSizeBound(1000, async () => 5000).limitFor('t')).toMatchObject({
      bytes: 1000,
    });
  });

  it("is the topic's max.message.bytes when that is smaller", async () => {
    const bound = new EventSizeBound(1000, async (topic) => (topic === 'small' ? 200 : undefined));
    expect(await bound.limitFor('small')).toEqual({
      bytes: 200,
      bound: 'max.message.bytes of topic small',
    });
    expect(await bound.limitFor('other')).toMatchObject({ bytes: 1000 });
  });

  it('keeps the configured bound when Kafka does not answer', async () => {
    const bound = new EventSizeBound(1000, () => Promise.reject(new Error('down')));
    expect(await bound.limitFor('t')).toMatchObject({ bytes: 1000 });
  });

  it('asks again after its time to live, or at once after forget', async () => {
    let clock = 0;
    let limit = 500;
    let asked = 0;
    const bound = new EventSizeBound(
      1000,
      async () => {
        asked++;
        return limit;
      },
      60_000,
      () => clock,
    );
    expect((await bound.limitFor('t')).bytes).toBe(500);
    limit = 300;
    clock = 30_000;
    expect((await bound.limitFor('t')).bytes).toBe(500);
    bound.forget();
    expect((await bound.limitFor('t')).bytes).toBe(300);
    limit = 100;
    clock = 100_000;
    expect((await bound.limitFor('t')).bytes).toBe(100);
    expect(asked).toBe(3);
  });
});
