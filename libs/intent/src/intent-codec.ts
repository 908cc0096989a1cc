import { ByteReader, ByteWriter } from './bytes';
import { IntentFormatError, IntentMalformedError } from './errors';
import type { KeyColumn, KeyScalar } from './key-value';

/**
 * `refresh` (format version 2) is not a write: backfill asks the consumer to
 * publish the row's current state, at the version the scan read, unless an
 * event at that version or later was already published for the key.
 */
export type IntentOp = 'upsert' | 'delete' | 'refresh';

/** What the proxy logs before it writes: the intent of one mutation, never its values. */
export interface Intent {
  /** 16 bytes, UUIDv7 layout: time-ordered, unique across proxies. */
  intentId: Uint8Array;
  table: string;
  op: IntentOp;
  /** Key columns in route order. */
  key: KeyColumn[];
  /**
   * Hybrid-logical-clock microseconds: the row's version once written; for a
   * refresh, the row's version (`wail_ts`) when the scan read it.
   */
  ts: bigint;
  proxyId: string;
  /** Names of the columns an upsert wrote (partial updates); absent = not recorded (always, for a refresh). */
  columns?: string[];
}

/** The newest intent format version this build reads and writes. */
export const INTENT_FORMAT_VERSION = 2;

/** Every intent format version this build reads (`IntentFormatError` names them). */
export const READABLE_INTENT_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** The op codes each version defines: a refresh exists only from version 2. */
const OPS: Readonly<Record<number, readonly IntentOp[]>> = {
  1: ['upsert', 'delete'],
  2: ['upsert', 'delete', 'refresh'],
};

/**
 * The version an intent is written with: the oldest that can carry its op,
 * so upserts and deletes stay version 1, readable by consumers that predate
 * version 2 (consumers are upgraded before proxies; a mixed fleet keeps
 * working), and only refreshes need version 2.
 */
export function intentFormatVersion(op: IntentOp): number {
  return op === 'refresh' ? 2 : 1;
}

const enum Tag {
  Null = 0,
  String = 1,
  Int64 = 2,
  Double = 3,
  True = 4,
  False = 5,
  Bytes = 6,
}

/*
 * Intent wire format, versions 1 and 2 (all integers big-endian):
 *
 *   intent   = version:u8 (1 | 2) flags:u8 intent-id:16*u8 ts:i64 op:u8
 *              table:str proxy-id:str key-count:u8 column{key-count}
 *              [ column-count:u16 str{column-count} ]      ; when flags bit 0
 *   column   = name:str value
 *   value    = 0x00                                        ; null
 *            | 0x01 str                                    ; string
 *            | 0x02 i64                                    ; integer (64-bit)
 *            | 0x03 f64                                    ; double (IEEE 754)
 *            | 0x04 | 0x05                                 ; true | false
 *            | 0x06 bytes                                  ; binary
 *   str      = bytes, UTF-8
 *   bytes    = length:uvarint octet{length}                ; LEB128 length
 *   op       = 0 upsert | 1 delete                        ; version 1
 *            | 0 upsert | 1 delete | 2 refresh            ; version 2
 *   flags    = bit 0: column list present (never on a refresh); other bits must be 0
 *
 * Version 2 has the layout of version 1 and one more op, `refresh`, whose ts
 * is the row's `wail_ts` as the backfill scan read it; a refresh in a version
 * 1 record is malformed. Upserts and deletes are written as version 1 (see
 * `intentFormatVersion`), refreshes as version 2.
 *
 * The version byte comes first so a reader fails clearly on a format it does
 * not know instead of misreading it; a new field or op means a new version.
 */
export function encodeIntent(intent: Intent): Buffer {
  if (intent.intentId.length !== 16) throw new RangeError('intentId must be 16 bytes');
  if (intent.key.length === 0 || intent.key.length > 255)
    throw new RangeError('an intent has 1..255 key columns');
  const version = intentFormatVersion(intent.op);
  const opCode = OPS[version]!.indexOf(intent.op);
  if (opCode < 0) throw new RangeError(`unknown op ${String(intent.op)}`);
  if (intent.op === 'refresh' && intent.columns)
    throw new RangeError('a refresh intent has no column list');
  const writer = new ByteWriter()
    .u8(version)
    .u8(intent.columns ? 1 : 0)
    .raw(intent.intentId)
    .i64(intent.ts)
    .u8(opCode)
    .string(intent.table)
    .string(intent.proxyId)
    .u8(intent.key.length);
  for (const column of intent.key) writeColumn(writer, column);
  if (intent.columns) {
    if (intent.columns.length > 0xffff) throw new RangeError('too many columns');
    writer.u16(intent.columns.length);
    for (const name of intent.columns) writer.string(name);
  }
  return writer.finish();
}

export function decodeIntent(bytes: Uint8Array): Intent {
  const reader = new ByteReader(bytes);
  const version = reader.u8('format version');
  const ops = OPS[version];
  if (!ops) throw new IntentFormatError(version);
  const flags = reader.u8('flags');
  if ((flags & ~1) !== 0) throw new IntentMalformedError(`unknown flags 0x${flags.toString(16)}`);
  const intentId = reader.raw(16, 'intent id');
  const ts = reader.i64('timestamp');
  const opCode = reader.u8('op');
  const op = ops[opCode];
  if (!op) throw new IntentMalformedError(`unknown op ${opCode} in format version ${version}`);
  if (op === 'refresh' && flags & 1)
    throw new IntentMalformedError('a refresh intent has no column list');
  const table = reader.string('table');
  const proxyId = reader.string('proxy id');
  const keyCount = reader.u8('key count');
  if (keyCount === 0) throw new IntentMalformedError('no key columns');
  const key: KeyColumn[] = [];
  for (let i = 0; i < keyCount; i++) key.push(readColumn(reader));
  const intent: Intent = { intentId, table, op, key, ts, proxyId };
  if (flags & 1) {
    const count = reader.u16('column count');
    const columns: string[] = [];
    for (let i = 0; i < count; i++) columns.push(reader.string('column name'));
    intent.columns = columns;
  }
  if (reader.remaining !== 0) throw new IntentMalformedError(`${reader.remaining} trailing bytes`);
  return intent;
}

export function writeColumn(writer: ByteWriter, column: KeyColumn): void {
  writer.string(column.name);
  writeValue(writer, column.value);
}

export function writeValue(writer: ByteWriter, value: KeyScalar): void {
  if (value === null) writer.u8(Tag.Null);
  else if (typeof value === 'string') writer.u8(Tag.String).string(value);
  else if (typeof value === 'bigint') {
    if (value < -(2n ** 63n) || value >= 2n ** 63n)
      throw new RangeError('integer key values must fit in 64 bits');
    writer.u8(Tag.Int64).i64(value);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && Number.isSafeInteger(value))
      writer.u8(Tag.Int64).i64(BigInt(value));
    else writer.u8(Tag.Double).f64(value);
  } else if (typeof value === 'boolean') writer.u8(value ? Tag.True : Tag.False);
  else writer.u8(Tag.Bytes).bytes(value);
}

function readColumn(reader: ByteReader): KeyColumn {
  const name = reader.string('key column name');
  return { name, value: readValue(reader) };
}

function readValue(reader: ByteReader): KeyScalar {
  const tag = reader.u8('value tag');
  switch (tag) {
    case Tag.Null:
      return null;
    case Tag.String:
      return reader.string('string value');
    case Tag.Int64:
      return reader.i64('integer value');
    case Tag.Double:
      return reader.f64('double value');
    case Tag.True:
      return true;
    case Tag.False:
      return false;
    case Tag.Bytes:
      return reader.bytesField('bytes value');
    default:
      throw new IntentMalformedError(`unknown value tag ${tag}`);
  }
}
