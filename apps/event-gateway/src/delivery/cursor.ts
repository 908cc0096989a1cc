import { WailError } from '@wail/errors';

/**
 * A stream position: for each topic-partition the stream has delivered from,
 * the next offset to deliver. A change's cursor is the position just after it,
 * so resuming from it (`Last-Event-ID`) or acknowledging it covers that change
 * and every change the stream delivered before it, on every partition.
 * Partitions it does not name resume from the subscription's acknowledged
 * offsets. On the wire: `c1.` and base64url of
 * `{"s":session,"n":sequence,"o":{topic:{partition:offset}}}`.
 */
export interface Cursor {
  /** The stream that issued it (a random id per connection). */
  session: string;
  /** The change's number within its stream, from 1. */
  sequence: number;
  offsets: Map<string, Map<number, bigint>>;
}

/** A cursor longer than this is refused unread: the bound of its size (a position over 1,000 partitions fits). */
export const MAX_CURSOR_LENGTH = 32_768;
const PREFIX = 'c1.';

export function encodeCursor(cursor: Cursor): string {
  const offsets: Record<string, Record<string, string>> = {};
  for (const [topic, partitions] of cursor.offsets) {
    const entry: Record<string, string> = {};
    for (const [partition, offset] of partitions) entry[partition] = offset.toString();
    offsets[topic] = entry;
  }
  const json = JSON.stringify({ s: cursor.session, n: cursor.sequence, o: offsets });
  return PREFIX + Buffer.from(json).toString('base64url');
}

/** The cursor `text` encodes; BAD_REQUEST, saying what is wrong, for anything else. */
export function decodeCursor(text: string): Cursor {
  const bad = (why: string) => new WailError('BAD_REQUEST', `invalid cursor: ${why}`);
  if (text.length > MAX_CURSOR_LENGTH) throw bad(`longer than ${MAX_CURSOR_LENGTH} characters`);
  if (!text.startsWith(PREFIX) || !/^[A-Za-z0-9_-]*$/.test(text.slice(PREFIX.length)))
    throw bad('not a cursor this gateway issued (expected "c1." and base64url)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw bad('its content is not JSON');
  }
  const { s, n, o } = (parsed ?? {}) as { s?: unknown; n?: unknown; o?: unknown };
  if (typeof s !== 'string' || s.length > 64) throw bad('no session');
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad('no sequence number');
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw bad('no offsets');
  const offsets = new Map<string, Map<number, bigint>>();
  for (const [topic, partitions] of Object.entries(o as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw bad('a topic name is not legal');
    if (partitions === null || typeof partitions !== 'object' || Array.isArray(partitions))
      throw bad(`topic ${topic} has no partitions`);
    const map = new Map<number, bigint>();
    for (const [partition, offset] of Object.entries(partitions as Record<string, unknown>)) {
      if (!/^(0|[1-9][0-9]{0,5})$/.test(partition)) throw bad('a partition is not a number');
      if (typeof offset !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(offset))
        throw bad('an offset is not a number');
      map.set(Number(partition), BigInt(offset));
    }
    offsets.set(topic, map);
  }
  return { session: s, sequence: n, offsets };
}
