import type { KafkaClient } from '@wail/kafka';

/**
 * The intent topics to consume: every topic a route names, plus any topic a
 * route used to name that still has intents the group has not committed — so
 * moving a table to a new intent topic lets the old one drain through the
 * same consumers before it is dropped.
 */
export class TopicSet {
  private readonly draining = new Set<string>();
  private current = new Set<string>();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly groupId: string,
  ) {}

  update(routeTopics: Iterable<string>): string[] {
    const next = new Set(routeTopics);
    for (const topic of this.current) if (!next.has(topic)) this.draining.add(topic);
    for (const topic of next) this.draining.delete(topic);
    this.current = next;
    return this.topics();
  }

  topics(): string[] {
    return [...new Set([...this.current, ...this.draining])].sort();
  }

  /** Drops drained topics; returns the topic list when it changed. */
  async prune(): Promise<string[] | undefined> {
    if (this.draining.size === 0) return undefined;
    const committed = await this.kafka.committedOffsets(this.groupId, [...this.draining]);
    let changed = false;
    for (const topic of [...this.draining]) {
      const ends = await this.kafka.endOffsets(topic);
      const done = [...ends].every(
        ([partition, end]) => (committed.get(topic)?.get(partition) ?? -1n) >= end || end === 0n,
      );
      if (done) {
        this.draining.delete(topic);
        changed = true;
      }
    }
    return changed ? this.topics() : undefined;
  }
}
