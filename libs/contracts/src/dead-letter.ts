import { ERROR_CODES, type ErrorCode } from '@wail/errors';

/**
 * A dead letter is the intent record as it arrived (key, value, its own
 * headers) plus these headers, written by the smart consumer and read by
 * operators and tools (`wail dlq`). `redrivenFrom` marks an intent sent back
 * to its topic, naming the dead letter (`<topic>/<partition>/<offset>`).
 */
export const DEAD_LETTER_HEADERS = {
  code: 'wail.error.code',
  message: 'wail.error.message',
  originTopic: 'wail.origin.topic',
  originPartition: 'wail.origin.partition',
  originOffset: 'wail.origin.offset',
  attempts: 'wail.attempts',
  failedAt: 'wail.failed-at',
  redrivenFrom: 'wail.redriven-from',
} as const;

/**
 * Every code a dead letter is written with: a code of the error catalogue
 * (docs/errors.md lists each one, the consumer's own verdicts among them).
 */
export type DeadLetterCode = ErrorCode;

export function isDeadLetterCode(code: string): code is DeadLetterCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

/** Longer messages are cut: a header is not the place for a stack of causes. */
export const MAX_DEAD_LETTER_MESSAGE = 1000;

export interface DeadLetterCause {
  code: DeadLetterCode;
  message: string;
  /** Where the intent record was read. */
  origin: { topic: string; partition: number; offset: bigint };
  /** Rounds tried, the failing one included. */
  attempts: number;
  failedAt: Date;
}

/** The headers a dead letter carries besides the intent record's own. */
export function deadLetterHeaders(cause: DeadLetterCause): Record<string, string> {
  return {
    [DEAD_LETTER_HEADERS.code]: cause.code,
    [DEAD_LETTER_HEADERS.message]: cause.message.slice(0, MAX_DEAD_LETTER_MESSAGE),
    [DEAD_LETTER_HEADERS.originTopic]: cause.origin.topic,
    [DEAD_LETTER_HEADERS.originPartition]: String(cause.origin.partition),
    [DEAD_LETTER_HEADERS.originOffset]: cause.origin.offset.toString(),
    [DEAD_LETTER_HEADERS.attempts]: String(cause.attempts),
    [DEAD_LETTER_HEADERS.failedAt]: cause.failedAt.toISOString(),
  };
}

/** What a dead letter's headers say, as written. */
export interface DeadLetterFacts {
  /**
   * A `DeadLetterCode` of this build, or a code written by another version of
   * the consumer: a reader shows what is on the topic (`isDeadLetterCode` tells them apart).
   */
  code: string;
  message: string;
  origin: { topic: string; partition: number; offset: string };
  attempts: number;
  failedAt: string;
}

/** Reads the dead-letter headers; a missing header reads as empty (or 0 for numbers). */
export function parseDeadLetterHeaders(
  headers: Readonly<Record<string, Uint8Array | string | undefined>>,
): DeadLetterFacts {
  const header = (name: string): string => {
    const value = headers[name];
    if (value === undefined) return '';
    return typeof value === 'string' ? value : Buffer.from(value).toString();
  };
  return {
    code: header(DEAD_LETTER_HEADERS.code),
    message: header(DEAD_LETTER_HEADERS.message),
    origin: {
      topic: header(DEAD_LETTER_HEADERS.originTopic),
      partition: Number(header(DEAD_LETTER_HEADERS.originPartition)),
      offset: header(DEAD_LETTER_HEADERS.originOffset),
    },
    attempts: Number(header(DEAD_LETTER_HEADERS.attempts)),
    failedAt: header(DEAD_LETTER_HEADERS.failedAt),
  };
}
