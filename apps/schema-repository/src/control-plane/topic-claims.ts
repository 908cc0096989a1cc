import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { sameTopic } from '@wail/control-plane';
import { registryErrors as errors } from '../http/registry-errors';
import { inTransaction } from '../storage/transactions';

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

  constructor(private readonly pool: Pool) {}

  /** Runs `work` in a transaction holding the control plane's topic lock. */
  exclusive<T>(work: (tx: PoolConnection) => Promise<T>): Promise<T> {
    const run = this.queue.then(() =>
      inTransaction(this.pool, async (tx) => {
        const [rows] = await tx.query<RowDataPacket[]>(
          "SELECT name FROM control_locks WHERE name = 'topics' FOR UPDATE",
        );
        if (rows.length === 0) throw new Error('control_locks has no "topics" row');
        return work(tx);
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Refuses an intent topic that is (or collides with) the event topic of any table. */
  async assertIntentTopicFree(tx: PoolConnection, table: string, topic: string): Promise<void> {
    const [models] = await tx.query<RowDataPacket[]>(
      'SELECT DISTINCT table_name, event_topic FROM data_models',
    );
    for (const row of models) {
      const eventTopic = String(row['event_topic']);
      if (!sameTopic(topic, eventTopic)) continue;
      throw errors.topicConflict(
        `"intentTopic" ${JSON.stringify(topic)} of table "${table}" is${topic === eventTopic ? '' : ' the same Kafka topic as'} the event topic ${JSON.stringify(eventTopic)} of table "${String(row['table_name'])}": an intent topic is never an event topic`,
      );
    }
  }

  /**
   * Refuses an event topic that is (or collides with) the intent topic of any
   * route, or the event topic of another table.
   */
  async assertEventTopicFree(tx: PoolConnection, table: string, topic: string): Promise<void> {
    const [routes] = await tx.query<RowDataPacket[]>(
      'SELECT table_name, spec FROM table_routes ORDER BY table_name',
    );
    for (const row of routes) {
      const intentTopic = String(
        (JSON.parse(String(row['spec'])) as { intentTopic: string }).intentTopic,
      );
      if (!sameTopic(topic, intentTopic)) continue;
      throw errors.topicConflict(
        `"eventTopic" ${JSON.stringify(topic)} of table "${table}" is${topic === intentTopic ? '' : ' the same Kafka topic as'} the intent topic ${JSON.stringify(intentTopic)} of table "${String(row['table_name'])}": an event topic is never an intent topic`,
      );
    }
    const [models] = await tx.query<RowDataPacket[]>(
      'SELECT DISTINCT table_name, event_topic FROM data_models WHERE table_name <> ?',
      [table],
    );
    for (const row of models) {
      const eventTopic = String(row['event_topic']);
      if (!sameTopic(topic, eventTopic)) continue;
      throw errors.topicConflict(
        `"eventTopic" ${JSON.stringify(topic)} of table "${table}" is${topic === eventTopic ? '' : ' the same Kafka topic as'} the event topic ${JSON.stringify(eventTopic)} of table "${String(row['table_name'])}": one table per event topic`,
      );
    }
  }
}
