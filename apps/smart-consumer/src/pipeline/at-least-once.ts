import type { IncomingBatch, OutgoingRecord } from '@wail/kafka';
import {
  outputFailure,
  type Delivery,
  type HeldPartition,
  type PartitionDelivery,
} from './delivery';

export interface AtLeastOnceOptions {
  /** Events, unmaterialized records and dead letters go through one batching producer. */
  publisher: { append(records: readonly OutgoingRecord[]): Promise<void> };
  /** Commits the group's offsets (the next offset to read) of partitions this member owns. */
  commitOffsets(offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void>;
}

/**
 * At-least-once: outputs go out as soon as a round is done; the committed
 * offset of each partition follows its lowest unfinished intent. After a
 * crash or a rebalance a version may be published again, never an older one.
 */
export class AtLeastOnceDelivery implements Delivery {
  private readonly partitions = new Set<HeldPartition>();
  private readonly committed = new Map<string, bigint>();

  constructor(private readonly options: AtLeastOnceOptions) {}

  open(partition: HeldPartition): PartitionDelivery {
    this.partitions.add(partition);
    return {
      admit: async (batch: IncomingBatch) => batch.records,
      emit: async (records, _offsets, event) => {
        try {
          await this.options.publisher.append(records);
        } catch (error) {
          throw outputFailure(error);
        }
        if (event) partition.published.confirm(event);
      },
      held: 0,
      dropped: () => this.partitions.delete(partition),
      released: () => undefined,
    };
  }

  publishes(): boolean {
    return true;
  }

  /** Safe offsets to commit: the lowest unfinished intent of every partition held. */
  safeOffsets(): { topic: string; partition: number; offset: bigint }[] {
    const offsets: { topic: string; partition: number; offset: bigint }[] = [];
    for (const held of this.partitions) {
      const offset = held.safeOffset();
      if (offset !== undefined && !held.revoked)
        offsets.push({ topic: held.topic, partition: held.partition, offset });
    }
    return offsets;
  }

  async commit(): Promise<void> {
    const changed = this.safeOffsets().filter(
      ({ topic, partition, offset }) => this.committed.get(`${topic}:${partition}`) !== offset,
    );
    if (changed.length === 0) return;
    await this.options.commitOffsets(changed);
    for (const { topic, partition, offset } of changed)
      this.committed.set(`${topic}:${partition}`, offset);
  }
}
