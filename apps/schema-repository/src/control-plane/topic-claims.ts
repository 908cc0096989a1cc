import { sameTopic } from '@wail/contracts';
import type { Stores } from '../storage/stores';
import { controlPlaneErrors as errors } from './errors';
import type { ControlStores } from './stores';

/**
 * The rules on topics that depend on every route and model: an event topic is
 * never an intent topic, an intent topic is never an event topic, and an event
 * topic belongs to one table (in any of its model versions: events already
 * written stay there). A violation answers 409 TOPIC_CONFLICT — the request is
 * valid on its own and may succeed once the other table changes.
 *
 * Checking and writing must not interleave between two writers, or two PUTs
 * could each pass against a state the other is about to change. Every route
 * and model write therefore runs in a transaction that first locks the one
 * row of `control_locks` (`topics`), which orders writers across replicas;
 * within a replica they also queue in memory, so that a waiting writer holds
 * at most one pooled connection while the lock holder registers the model's
 * schemas on another.
 */
export class TopicClaims {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly stores: Stores<ControlStores>) {}

  /** Runs `work` in a transaction holding the control plane's topic lock. */
  exclusive<T>(work: (tx: ControlStores) => Promise<T>): Promise<T> {
    const run = this.queue.then(() =>
      this.stores.transaction(async (tx) => {
        if (!(await tx.changes.lockTopics())) throw new Error('control_locks has no "topics" row');
        return work(tx);
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Refuses an intent topic that is (or collides with) the event topic of any table. */
  async assertIntentTopicFree(tx: ControlStores, table: string, topic: string): Promise<void> {
    for (const { table: other, eventTopic } of await tx.models.eventTopics()) {
      if (!sameTopic(topic, eventTopic)) continue;
      throw errors.topicConflict(
        `"intentTopic" ${JSON.stringify(topic)} of table "${table}" is${topic === eventTopic ? '' : ' the same Kafka topic as'} the event topic ${JSON.stringify(eventTopic)} of table "${other}": an intent topic is never an event topic`,
      );
    }
  }

  /**
   * Refuses an event topic that is (or collides with) the intent topic of any
   * route, or the event topic of another table.
   */
  async assertEventTopicFree(tx: ControlStores, table: string, topic: string): Promise<void> {
    for (const { table: other, intentTopic } of await tx.routes.intentTopics()) {
      if (!sameTopic(topic, intentTopic)) continue;
      throw errors.topicConflict(
        `"eventTopic" ${JSON.stringify(topic)} of table "${table}" is${topic === intentTopic ? '' : ' the same Kafka topic as'} the intent topic ${JSON.stringify(intentTopic)} of table "${other}": an event topic is never an intent topic`,
      );
    }
    for (const { table: other, eventTopic } of await tx.models.eventTopics(table)) {
      if (!sameTopic(topic, eventTopic)) continue;
      throw errors.topicConflict(
        `"eventTopic" ${JSON.stringify(topic)} of table "${table}" is${topic === eventTopic ? '' : ' the same Kafka topic as'} the event topic ${JSON.stringify(eventTopic)} of table "${other}": one table per event topic`,
      );
    }
  }
}
