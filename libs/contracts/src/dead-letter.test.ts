import {
  DEAD_LETTER_HEADERS,
  deadLetterHeaders,
  isDeadLetterCode,
  parseDeadLetterHeaders,
  type DeadLetterCause,
} from './dead-letter';

const cause: DeadLetterCause = {
  code: 'MODEL_MISSING',
  message: 'table "orphans" has no data model',
  origin: { topic: 'wail.intents', partition: 3, offset: 9007199254740993n },
  attempts: 4,
  failedAt: new Date('2026-11-27T18:24:43.151Z'),
};

describe('dead-letter headers', () => {
  it('are written as the wail.* headers operators and tools read', () => {
    expect(deadLetterHeaders(cause)).toEqual({
      'wail.error.code': 'MODEL_MISSING',
      'wail.error.message': 'table "orphans" has no data model',
      'wail.origin.topic': 'wail.intents',
      'wail.origin.partition': '3',
      'wail.origin.offset': '9007199254740993',
      'wail.attempts': '4',
      'wail.failed-at': '2026-11-27T18:24:43.151Z',
    });
  });

  it('read back to what was written, from strings or bytes', () => {
    const written = deadLetterHeaders(cause);
    const asBytes = Object.fromEntries(
      Object.entries(written).map(([name, value]) => [name, Buffer.from(value)]),
    );
    const expected = {
      code: 'MODEL_MISSING',
      message: cause.message,
      origin: { topic: 'wail.intents', partition: 3, offset: '9007199254740993' },
      attempts: 4,
      failedAt: '2026-11-27T18:24:43.151Z',
    };
    expect(parseDeadLetterHeaders(written)).toEqual(expected);
    expect(parseDeadLetterHeaders(asBytes)).toEqual(expected);
  });

  it('cut a long message to 1000 characters', () => {
    const long = deadLetterHeaders({ ...cause, message: 'x'.repeat(5000) });
    expect(long[DEAD_LETTER_HEADERS.message]).toHaveLength(1000);
  });

  it('read as empty (or 0) when missing, and keep a code this build does not know', () => {
    expect(parseDeadLetterHeaders({ [DEAD_LETTER_HEADERS.code]: 'SOMETHING_NEWER' })).toEqual({
      code: 'SOMETHING_NEWER',
      message: '',
      origin: { topic: '', partition: 0, offset: '' },
      attempts: 0,
      failedAt: '',
    });
    expect(isDeadLetterCode('SOMETHING_NEWER')).toBe(false);
  });
});

describe('dead-letter codes', () => {
  it('are the catalogue codes, the consumer verdicts among them', () => {
    for (const code of [
      'UNKNOWN_TABLE_PAST_GRACE',
      'MODEL_MISSING',
      'STORE_NOT_CONFIGURED',
      'ENCODE_FAILED',
      'EVENT_TOPIC_FORBIDDEN',
      'EVENT_TOO_LARGE',
      'INTENT_MALFORMED',
    ])
      expect(isDeadLetterCode(code)).toBe(true);
  });

  it('form a closed union: a writer cannot invent one', () => {
    // @ts-expect-error not a dead-letter code
    const invented: DeadLetterCause['code'] = 'SOMETHING_NEWER';
    expect(isDeadLetterCode(invented)).toBe(false);
  });
});
