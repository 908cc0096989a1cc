/** A record as WAIL reads and writes it; kafkajs types never leave this library. */
export interface OutgoingRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Partition override; by default the key decides (murmur2, as the Java client). */
  partition?: number;
}

export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /** Broker append time or producer create time, ms. */
  timestamp: number;
}

export interface IncomingBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  /** Whether the consumer still owns the partition (false after a rebalance took it away). */
  isStale(): boolean;
  /**
   * With `resolveTransactionsByMarkers`: the offset after the last record
   * fetched (control records and held ones included), and the lowest offset
   * still held back for an open transaction after this batch. A reader's safe
   * position (everything before it delivered) is the least of these and the
   * offsets of the batch's records it has not handled yet: released records
   * of an older transaction come after newer ones.
   */
  fetchedThrough?: bigint;
  heldFrom?: bigint;
}
