import fc from 'fast-check';
import { IntentFormatError, IntentMalformedError } from './errors';
import {
  READABLE_INTENT_FORMAT_VERSIONS,
  decodeIntent,
  encodeIntent,
  intentFormatVersion,
  type Intent,
} from './intent-codec';
import { canonicalKey } from './canonical-key';

const id = Uint8Array.from({ length: 16 }, (_, i) => i);

const customer: Intent = {
  intentId: id,
  table: 'customers',
  op: 'upsert',
  key: [{ name: 'id', value: 42n }],
  ts: 1_700_000_000_123_456n,
  proxyId: 'p1',
  columns: ['name', 'email'],
};

const order: Intent = {
  intentId: id,
  table: 'orders',
  op: 'delete',
  key: [
    { name: 'customer_id', value: 'c-7' },
    { name: 'order_id', value: -1n },
    { name: 'gift', value: true },
    { name: 'weight', value: 1.5 },
  ],
  ts: 1n,
  proxyId: '',
};

/**
 * Golden bytes: these pin format version 1. If one changes, the format
 * changed, and readers in the field would misread it: bump the version.
 */
const GOLDEN: [string, Intent, string][] = [
  [
    'an upsert with a column list',
    customer,
    '0101000102030405060708090a0b0c0d0e0f00060a2418202240000963757374' +
      '6f6d6572730270310102696402000000000000002a0002046e616d6505656d61696c',
  ],
  [
    'a delete with a composite key of every scalar type',
    order,
    '0100000102030405060708090a0b0c0d0e0f0000000000000001010' +
      '66f726465727300040b637573746f6d65725f69640103632d37086f726465725f6964' +
      '02ffffffffffffffff0467696674040677656967687403' +
      '3ff8000000000000',
  ],
];

describe('intent format version 1', () => {
  it.each(GOLDEN)('encodes %s to its golden bytes', (_label, intent, hex) => {
    expect(Buffer.from(encodeIntent(intent)).toString('hex')).toBe(hex);
  });

  it.each(GOLDEN)('decodes the golden bytes of %s', (_label, intent, hex) => {
    expect(decodeIntent(Buffer.from(hex, 'hex'))).toEqual(intent);
  });

  it('refuses an unknown format version with a clear error naming the versions it reads', () => {
    expect(READABLE_INTENT_FORMAT_VERSIONS).toEqual([1, 2]);
    for (const version of [0, 3, 255]) {
      const bytes = Buffer.from(GOLDEN[0]![2], 'hex');
      bytes[0] = version;
      expect(() => decodeIntent(bytes)).toThrow(IntentFormatError);
      expect(() => decodeIntent(bytes)).toThrow(
        `intent format version ${version} is not supported (this build reads versions 1 and 2)`,
      );
    }
  });

  it('still writes upserts and deletes as version 1, for consumers that read only version 1', () => {
    expect(intentFormatVersion('upsert')).toBe(1);
    expect(intentFormatVersion('delete')).toBe(1);
    expect(encodeIntent(customer)[0]).toBe(1);
    expect(encodeIntent(order)[0]).toBe(1);
  });

  it('refuses every truncation of a valid intent', () => {
    const bytes = encodeIntent(customer);
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeIntent(bytes.subarray(0, length))).toThrow(
        length === 0 ? IntentMalformedError : Error,
      );
    }
  });

  it('refuses trailing bytes, unknown flags, ops and tags', () => {
    const bytes = encodeIntent(order);
    expect(() => decodeIntent(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(
      IntentMalformedError,
    );
    const flags = Buffer.from(bytes);
    flags[1] = 0x80;
    expect(() => decodeIntent(flags)).toThrow(IntentMalformedError);
    const op = Buffer.from(bytes);
    op[26] = 9;
    expect(() => decodeIntent(op)).toThrow('unknown op 9 in format version 1');
  });

  it('refuses a refresh in a version 1 record: refresh only exists in version 2', () => {
    const bytes = Buffer.from(REFRESH_HEX, 'hex');
    bytes[0] = 1;
    expect(() => decodeIntent(bytes)).toThrow(IntentMalformedError);
    expect(() => decodeIntent(bytes)).toThrow('unknown op 2 in format version 1');
  });
});

const refresh: Intent = {
  intentId: id,
  table: 'customers',
  op: 'refresh',
  key: [{ name: 'id', value: 42n }],
  ts: 1_700_000_000_123_456n,
  proxyId: 'backfill',
};

/**
 * Golden bytes of version 2: the layout of version 1 with op 2 (refresh).
 * If they change, the format changed: bump the version.
 */
const REFRESH_HEX =
  '0200000102030405060708090a0b0c0d0e0f00060a24182022400209637573746f' +
  '6d657273086261636b66696c6c0102696402000000000000002a';

describe('intent format version 2', () => {
  it('encodes a refresh to its golden bytes, as version 2', () => {
    expect(intentFormatVersion('refresh')).toBe(2);
    expect(Buffer.from(encodeIntent(refresh)).toString('hex')).toBe(REFRESH_HEX);
  });

  it('decodes the golden bytes of a refresh', () => {
    expect(decodeIntent(Buffer.from(REFRESH_HEX, 'hex'))).toEqual(refresh);
  });

  it('reads upserts and deletes written as version 2 like version 1', () => {
    for (const [, intent, hex] of GOLDEN) {
      const bytes = Buffer.from(hex, 'hex');
      bytes[0] = 2;
      expect(decodeIntent(bytes)).toEqual(intent);
    }
  });

  it.each([3, 9, 255])('refuses unknown op %i', (code) => {
    const bytes = Buffer.from(REFRESH_HEX, 'hex');
    bytes[26] = code;
    expect(() => decodeIntent(bytes)).toThrow(IntentMalformedError);
    expect(() => decodeIntent(bytes)).toThrow(`unknown op ${code} in format version 2`);
  });

  it('refuses a refresh with a column list, writing or reading', () => {
    expect(() => encodeIntent({ ...refresh, columns: ['name'] })).toThrow(
      'a refresh intent has no column list',
    );
    const bytes = Buffer.concat([
      Buffer.from(REFRESH_HEX, 'hex'),
      Buffer.from([0, 1, 4, ...Buffer.from('name')]),
    ]);
    bytes[1] = 1;
    expect(() => decodeIntent(bytes)).toThrow(
      'malformed intent: a refresh intent has no column list',
    );
  });

  it('refuses every truncation of a refresh', () => {
    const bytes = encodeIntent(refresh);
    for (let length = 0; length < bytes.length; length++)
      expect(() => decodeIntent(bytes.subarray(0, length))).toThrow(Error);
  });
});

const scalar = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.double({ noNaN: true }).filter((value) => !Number.isInteger(value)),
  fc.boolean(),
  fc.uint8Array({ maxLength: 40 }),
);
const arbitraryIntent: fc.Arbitrary<Intent> = fc
  .record({
    intentId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    table: fc.string({ maxLength: 64 }),
    op: fc.constantFrom('upsert' as const, 'delete' as const, 'refresh' as const),
    key: fc.array(fc.record({ name: fc.string({ maxLength: 20 }), value: scalar }), {
      minLength: 1,
      maxLength: 8,
    }),
    ts: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    proxyId: fc.string({ maxLength: 30 }),
    columns: fc.option(fc.array(fc.string({ maxLength: 20 }), { maxLength: 10 }), {
      nil: undefined,
    }),
  })
  .map(({ columns, ...rest }) =>
    columns === undefined || rest.op === 'refresh' ? rest : { ...rest, columns },
  );

describe('intent format properties', () => {
  it('round-trips any intent', () => {
    fc.assert(
      fc.property(arbitraryIntent, (intent) => {
        const decoded = decodeIntent(encodeIntent(intent));
        expect(decoded).toEqual(intent);
      }),
      { numRuns: 500 },
    );
  });

  it('never crashes on random bytes: it decodes or throws a WAIL intent error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeIntent(bytes);
        } catch (error) {
          expect(error instanceof IntentMalformedError || error instanceof IntentFormatError).toBe(
            true,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('canonicalKey', () => {
  it('is the same for an integer given as a number or a bigint', () => {
    expect(canonicalKey('t', [{ name: 'id', value: 7 }])).toEqual(
      canonicalKey('t', [{ name: 'id', value: 7n }]),
    );
  });

  it('differs between tables and between value types', () => {
    const a = Buffer.from(canonicalKey('a', [{ name: 'id', value: '7' }]));
    expect(a.equals(Buffer.from(canonicalKey('b', [{ name: 'id', value: '7' }])))).toBe(false);
    expect(a.equals(Buffer.from(canonicalKey('a', [{ name: 'id', value: 7n }])))).toBe(false);
  });
});
