import { PartitionConsumer, type KafkaClient } from '@wail/kafka';
import type { Logger } from '@wail/telemetry';
import { DRAIN_TOPIC, decodeMarker, type DrainLedger } from './moves';

/** A reader that has not got its partition this long after starting is started again. */
const ASSIGNMENT_TIMEOUT_MS = 30_000;

/**
 * Reads this cluster's drain topic into the ledger, from its beginning, in a
 * group of its own that never commits (every process reads all of it: it is
 * compacted and small). Started once a table moves to this cluster, and
 * started again when it does not get its partition (a broker that was down
 * when it joined).
 */
export class DrainReader {
  private consumer: PartitionConsumer | undefined;
  private startedAt = 0;
  private assigned = false;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly groupId: string,
    private readonly ledger: DrainLedger,
    private readonly options: { logger: Logger; completed(): void; now?: () => number },
  ) {}

  ensureRunning(): void {
    const now = (this.options.now ?? Date.now)();
    if (this.consumer && (this.assigned || now - this.startedAt < ASSIGNMENT_TIMEOUT_MS)) return;
    const { logger } = this.options;
    if (this.consumer) {
      logger.warn('the drain topic reader got no partition; starting it again');
      void this.consumer.stop().catch(() => undefined);
    }
    this.startedAt = now;
    this.assigned = false;
    const consumer = new PartitionConsumer(this.kafka, {
      groupId: this.groupId,
      logger,
      fromBeginning: true,
      onAssignment: (owned) => {
        if (consumer === this.consumer && owned.size > 0) this.assigned = true;
      },
      onBatch: async (batch) => this.read(batch.records),
    });
    this.consumer = consumer;
    void this.kafka
      .ensureTopics([
        { topic: DRAIN_TOPIC, partitions: 1, config: { 'cleanup.policy': 'compact' } },
      ])
      .then(() => consumer.setTopics([DRAIN_TOPIC]))
      .catch((error: unknown) =>
        logger.warn({ err: error }, 'could not read the drain topic yet; will retry'),
      );
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  private read(records: readonly { value: Buffer | null }[]): void {
    let completed = false;
    for (const record of records) {
      const marker = decodeMarker(record.value);
      if (!marker) continue;
      if (this.ledger.add(marker)) {
        completed = true;
        this.options.logger.info(
          { table: marker.table, revision: marker.revision, from: marker.from },
          'moved table drained from every partition of its old location: its intents are released',
        );
      }
    }
    if (completed) this.options.completed();
  }
}
