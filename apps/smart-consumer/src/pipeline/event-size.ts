/** The largest event a topic takes, and which bound says so. */
export interface EventLimit {
  bytes: number;
  /** For the dead letter's message: the variable or the topic setting. */
  bound: string;
}

/**
 * The size bound of an event: the configured one, lowered to the event
 * topic's own `max.message.bytes` when that is smaller. Topic limits are
 * cached for a while; `forget` drops them when Kafka refused an event anyway
 * (the topic's setting changed), so the next look sees the new one.
 */
export class EventSizeBound {
  private readonly topics = new Map<string, { bytes: number | undefined; at: number }>();

  constructor(
    private readonly configured: number,
    private readonly topicLimit: ((topic: string) => Promise<number | undefined>) | undefined,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async limitFor(topic: string): Promise<EventLimit> {
    const own: EventLimit = { bytes: this.configured, bound: 'WAIL_CONSUMER_MAX_EVENT_BYTES' };
    if (!this.topicLimit) return own;
    let cached = this.topics.get(topic);
    if (!cached || this.now() - cached.at > this.ttlMs) {
      // Unknown (no topic yet, or Kafka did not answer): the configured bound holds.
      const bytes = await this.topicLimit(topic).catch(() => undefined);
      cached = { bytes, at: this.now() };
      this.topics.set(topic, cached);
    }
    return cached.bytes !== undefined && cached.bytes < this.configured
      ? { bytes: cached.bytes, bound: `max.message.bytes of topic ${topic}` }
      : own;
  }

  forget(): void {
    this.topics.clear();
  }
}
