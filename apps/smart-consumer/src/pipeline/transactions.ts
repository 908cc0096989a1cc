import { TransactionalProducer, type KafkaClient, type OutgoingRecord } from '@wail/kafka';
import { outputFailure } from './delivery';
import type { PartitionTransactions } from './exactly-once';

/**
 * Exactly-once plumbing: one transactional producer per owned input
 * partition, with the id `<group>:<topic>:<partition>` (kafkajs lacks KIP-447,
 * so the transactional id, not the group generation, is what fences a
 * previous owner). A claim always starts a new producer.
 */
export class KafkaPartitionTransactions implements PartitionTransactions {
  private readonly producers = new Map<string, TransactionalProducer>();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly groupId: string,
  ) {}

  async claim(topic: string, partition: number): Promise<bigint | undefined> {
    await this.release(topic, partition);
    const producer = new TransactionalProducer(this.kafka, {
      transactionalId: `${this.groupId}:${topic}:${partition}`,
    });
    this.producers.set(`${topic}:${partition}`, producer);
    await producer.claim().catch((error: unknown) => {
      throw outputFailure(error);
    });
    // Read after the fence: no earlier owner can commit an offset any more.
    // The fence waits for an earlier owner's last transaction to complete,
    // but the group coordinator applies its offset asynchronously, and
    // kafkajs cannot ask for stable offsets (KIP-447 `requireStable`): read
    // until two reads a moment apart agree.
    let offset = await this.committed(topic, partition);
    for (let attempt = 0; attempt < 10; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = await this.committed(topic, partition);
      if (again === offset) break;
      offset = again;
    }
    return offset;
  }

  private async committed(topic: string, partition: number): Promise<bigint | undefined> {
    const offset = (await this.kafka.committedOffsets(this.groupId, [topic]))
      .get(topic)
      ?.get(partition);
    return offset === undefined || offset < 0n ? undefined : offset;
  }

  async commit(
    topic: string,
    partition: number,
    records: readonly OutgoingRecord[],
    offset: bigint,
  ): Promise<void> {
    const producer = this.producers.get(`${topic}:${partition}`);
    if (!producer) throw new Error(`partition ${topic}:${partition} is not claimed`);
    await producer
      .commit(records, { groupId: this.groupId, topic, partition, offset })
      .catch((error: unknown) => {
        throw outputFailure(error);
      });
  }

  async release(topic: string, partition: number): Promise<void> {
    const id = `${topic}:${partition}`;
    const producer = this.producers.get(id);
    this.producers.delete(id);
    await producer?.close();
  }

  async close(): Promise<void> {
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.allSettled(all.map((producer) => producer.close()));
  }
}
