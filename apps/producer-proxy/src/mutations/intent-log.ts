import { WailError } from '@wail/errors';
import { isKafkaError, type GroupCommitLog, type OutgoingRecord } from '@wail/kafka';

/** What the proxy needs of its intent log: appends whose failures carry the proxy's codes. */
export interface IntentAppender {
  /** One promise per record; a rejection is a WailError (see `intentLogFailure`). */
  appendEach(records: readonly OutgoingRecord[]): Promise<void>[];
}

/**
 * The intent log of the proxy: the group-commit log of `libs/kafka`, its
 * Kafka failures named in the proxy's terms (docs/errors.md): a record Kafka
 * refuses for its size is the client's `PAYLOAD_TOO_LARGE` (never retried,
 * never backlogged); anything else is `INTENT_LOG_UNAVAILABLE`.
 */
export class IntentLog implements IntentAppender {
  constructor(private readonly log: Pick<GroupCommitLog, 'appendEach'>) {}

  appendEach(records: readonly OutgoingRecord[]): Promise<void>[] {
    return this.log.appendEach(records).map((appended) =>
      appended.catch((error: unknown) => {
        throw intentLogFailure(error);
      }),
    );
  }
}

export function intentLogFailure(error: unknown): unknown {
  if (!isKafkaError(error)) return error;
  return new WailError(
    error.failure === 'too-large' ? 'PAYLOAD_TOO_LARGE' : 'INTENT_LOG_UNAVAILABLE',
    error.message,
    { cause: error },
  );
}
