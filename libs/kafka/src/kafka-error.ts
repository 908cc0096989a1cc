import { rootErrorCode } from '@wail/errors';

/**
 * Why Kafka did not take records, in Kafka's terms: each caller names its own
 * domain code (the proxy's intent log, the consumer's outputs, the CLI).
 *
 * - `unavailable`: no acknowledgement (no broker, a broker error, a fenced
 *   transactional producer); the records may or may not have landed.
 * - `timeout`: not acknowledged within the caller's time (they may land later).
 * - `queue-full`: not even sent; too many records already wait for Kafka.
 * - `too-large`: refused for their size (the topic's `max.message.bytes`, the
 *   broker's `message.max.bytes`), a verdict no retry changes.
 */
export type KafkaFailure = 'unavailable' | 'timeout' | 'queue-full' | 'too-large';

export class KafkaError extends Error {
  constructor(
    readonly failure: KafkaFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KafkaError';
  }
}

export function isKafkaError(error: unknown, failure?: KafkaFailure): error is KafkaError {
  return error instanceof KafkaError && (failure === undefined || error.failure === failure);
}

const SIZE_REJECTIONS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/**
 * Whether Kafka refused the records as too large for their topic (the
 * topic's `max.message.bytes`, the broker's `message.max.bytes`): a verdict
 * about the records, which no retry changes.
 */
export function isSizeRejection(error: unknown): boolean {
  for (let e = error as { name?: string; type?: string; cause?: unknown } | undefined; e;) {
    if (e.name === 'KafkaJSProtocolError' && e.type && SIZE_REJECTIONS.has(e.type)) return true;
    if (e.cause === e) break;
    e = e.cause as typeof e | undefined;
  }
  return false;
}

/** A driver error as a KafkaError (one already is stays as it is). */
export function kafkaError(error: unknown): KafkaError {
  if (error instanceof KafkaError) return error;
  if (isSizeRejection(error)) {
    return new KafkaError(
      'too-large',
      `Kafka refused the records as too large for their topic: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // The code, not the driver's message: it may quote broker addresses.
  const reason = rootErrorCode(error) ?? (error instanceof Error ? error.name : typeof error);
  return new KafkaError('unavailable', `Kafka did not acknowledge (${reason})`, { cause: error });
}
