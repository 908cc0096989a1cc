import { ByteWriter } from './bytes';
import { writeValue } from './intent-codec';
import type { KeyColumn } from './key-value';

/*
 * Canonical key: the Kafka key of an intent, so one row always lands on one
 * partition, whichever proxy logged it.
 *
 *   canonical-key = 0x01 table:str value{n}      ; values in route order, encoded as in intents
 *
 * Column names are not part of it (the route fixes their order); integers
 * are normalized to 64-bit, so `{"id": 7}` and `{"id": 7.0}` are one key.
 */
export function canonicalKey(table: string, key: readonly KeyColumn[]): Buffer {
  const writer = new ByteWriter().u8(1).string(table);
  for (const column of key) writeValue(writer, column.value);
  return writer.finish();
}

/** A printable form of a canonical key, for maps and logs. */
export function canonicalKeyString(table: string, key: readonly KeyColumn[]): string {
  return canonicalKey(table, key).toString('base64');
}
