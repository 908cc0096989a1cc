import { randomInt } from 'node:crypto';

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`), in 32-bit integer
 * arithmetic: linear in the key's length.
 *
 * Why not kafkajs's own: its murmur2 multiplies with a BigInt-backed `Long`
 * that never truncates to 64 bits, so the running hash grows by ~31 bits per
 * 4-byte block and hashing costs O(n²) — about 100 s of blocked event loop
 * for a 700 KB key (issue 9 item 4). The results are the same bits: only the
 * low 32 bits ever reach the answer.
 */
export function murmur2(key: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = key.length;
  let h = (0x9747b28c ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = key[at]! | (key[at + 1]! << 8) | (key[at + 2]! << 16) | (key[at + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The last one to three bytes, as the Java switch that falls through.
  const tail = blocks * 4;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= key[tail + 2]! << 16;
    if (rest >= 2) h ^= key[tail + 1]! << 8;
    h ^= key[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client's default partitioner picks for a keyed record. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

interface PartitionerArgs {
  topic: string;
  partitionMetadata: readonly { partitionId: number; leader: number }[];
  message: { key?: Buffer | string | null; partition?: number | null };
}

/**
 * A kafkajs `createPartitioner` with the Java client's choices (explicit
 * partition, else murmur2 of the key, else round robin over partitions with a
 * leader). `assigned` remembers each message's partition: kafkajs retries
 * regroup the same message objects, and a keyless message must land where its
 * first attempt went, or an idempotent retry is no longer the same batch.
 */
export function javaCompatiblePartitioner(assigned?: WeakMap<object, number>) {
  return () => {
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      const remembered = assigned?.get(message);
      if (remembered !== undefined && remembered < partitionMetadata.length) return remembered;
      let partition: number;
      if (message.key !== null && message.key !== undefined) {
        const key = typeof message.key === 'string' ? Buffer.from(message.key) : message.key;
        partition = partitionForKey(key, partitionMetadata.length);
      } else {
        const available = partitionMetadata.filter((p) => p.leader >= 0);
        const pool = available.length > 0 ? available : partitionMetadata;
        const next = (counters.get(topic) ?? randomInt(0, 2 ** 31 - 1)) + 1;
        counters.set(topic, next);
        partition = pool[next % pool.length]!.partitionId;
      }
      assigned?.set(message, partition);
      return partition;
    };
  };
}
