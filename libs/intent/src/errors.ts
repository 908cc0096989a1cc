import { WailError } from '@wail/errors';

/** The first byte of an intent names a format this build cannot read. Poison: dead-letter it. */
export class IntentFormatError extends WailError {
  constructor(readonly formatVersion: number) {
    super(
      'INTENT_FORMAT_UNSUPPORTED',
      `intent format version ${formatVersion} is not supported (this build reads versions 1 and 2)`,
    );
    this.name = 'IntentFormatError';
  }
}

/** Truncated or inconsistent intent bytes. Poison: dead-letter it. */
export class IntentMalformedError extends WailError {
  constructor(message: string) {
    super('INTENT_MALFORMED', `malformed intent: ${message}`);
    this.name = 'IntentMalformedError';
  }
}
