import { WailError } from '@wail/errors';
import {
  isKafkaError,
  type IncomingBatch,
  type IncomingRecord,
  type OutgoingRecord,
} from '@wail/kafka';
import type { PendingIntent } from './key-scheduler';
import type { KeyVersion, PublishedVersions } from './published-versions';

/** What a delivery mode sees of a partition the processor holds, and what it may ask of it. */
export interface HeldPartition {
  readonly topic: string;
  readonly partition: number;
  readonly revoked: boolean;
  /** The lowest unfinished offset (one past the last seen when all are finished); undefined before any. */
  safeOffset(): bigint | undefined;
  /** The partition's next batch starts at `offset`. */
  seek(offset: bigint): void;
  /** Forgets the partition (rounds, outputs not delivered) and replays it from `offset`. */
  replay(offset: bigint): void;
  /** Outputs left memory: a paused partition may resume. */
  relieved(): void;
  /** Stop fetching until `relieved`: the outputs under way must commit before newer intents start (a clean cut). */
  cut(): void;
  /** The versions published per key, shared by the partitions this member holds. */
  readonly published: PublishedVersions;
  /** Kafka refused an event as too large: the topic limits known are stale. */
  eventLimitsStale(): void;
}

/** The delivery side of one held partition. */
export interface PartitionDelivery {
  /** The records of a fetched batch to process (none while the partition cannot take them). */
  admit(batch: IncomingBatch): Promise<readonly IncomingRecord[]>;
  /**
   * Hands over the outputs that finish the intents at `offsets`; `event`, the
   * key's version an event among them publishes, joins the published versions
   * as the mode delivers it.
   */
  emit(records: OutgoingRecord[], offsets: readonly bigint[], event?: KeyVersion): Promise<void>;
  /** Outputs held in memory, not delivered yet. */
  readonly held: number;
  /** The processor forgot the partition. */
  dropped(): void;
  /** This member no longer owns the partition (after `dropped`). */
  released(): void;
}

/**
 * A delivery mode (DESIGN promises 2 and 6): how outputs reach Kafka and how a
 * partition's committed offset follows the intents they finish.
 */
export interface Delivery {
  open(partition: HeldPartition): PartitionDelivery;
  /** Whether a round whose read shows `version` publishes it for `intents` (all materialized). */
  publishes(version: bigint, intents: readonly PendingIntent[]): boolean;
  /** Commits what is finished; called every commit interval and once when stopping. */
  commit(): Promise<void>;
}

/**
 * A Kafka failure of the consumer's outputs in the consumer's terms
 * (docs/errors.md): records Kafka refuses for their size are
 * `PAYLOAD_TOO_LARGE` (an event among them is then dead-lettered
 * `EVENT_TOO_LARGE`), anything else is `OUTPUT_UNAVAILABLE`, retried.
 */
export function outputFailure(error: unknown): unknown {
  if (!isKafkaError(error)) return error;
  return new WailError(
    error.failure === 'too-large' ? 'PAYLOAD_TOO_LARGE' : 'OUTPUT_UNAVAILABLE',
    error.message,
    { cause: error },
  );
}
