import { PartitionConsumer, type KafkaClient } from '@wail/kafka';
import type { Logger } from '@wail/telemetry';
import { DRAIN_TOPIC, decodeMarker, type DrainLedger } from './moves';

/**
 * Reads this cluster's drain topic into the ledger, from its beginning, in a
 * group of its own that never commits (every process reads all of it: it is
 * compacted and small). Started once a table moves to this cluster.
 */
export class DrainReader {
  private consumer: PartitionConsumer | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly groupId: string,
    private readonly ledger: DrainLedger,
    private readonly options: { logger: Logger; completed(): void },
  ) {}

  start(): void {
    if (this.consumer) return;
    const { logger } = this.options;
    this.consumer = new PartitionConsumer(this.kafka, {
      groupId: this.groupId,
      logger,
      fromBeginning: true,
      onBatch: async (batch) => {
        let completed = false;
        for (const record of batch.records) {
          const marker = decodeMarker(record.value);
          if (!marker) continue;
          if (this.ledger.add(marker)) {
            completed = true;
            logger.info(
              { table: marker.table, revision: marker.revision, from: marker.from },
              'moved table drained from every partition of its old location: its intents are released',
            );
          }
        }
        if (completed) this.options.completed();
      },
    });
    const consumer = this.consumer;
    void this.kafka
      .ensureTopics([
        { topic: DRAIN_TOPIC, partitions: 1, config: { 'cleanup.policy': 'compact' } },
      ])
      .then(() => consumer.setTopics([DRAIN_TOPIC]))
      .catch((error: unknown) => {
        // The next route change tries again.
        this.consumer = undefined;
        logger.error({ err: error }, 'could not read the drain topic');
      });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
