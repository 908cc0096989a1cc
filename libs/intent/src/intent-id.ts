import { randomFillSync } from 'node:crypto';

/**
 * A UUIDv7: 48 bits of Unix milliseconds, version 7, 74 random bits.
 * Time-ordered, so logs and dead letters sort naturally; random enough that
 * proxies never collide.
 */
const POOL_SIZE = 16 * 1024;
let pool = new Uint8Array(0);
let poolOffset = 0;

/** Random bytes from a pool refilled 16 KiB at a time: one syscall per ~1,600 ids. */
function randomBytes(count: number): Uint8Array {
  if (poolOffset + count > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_SIZE));
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + count);
  poolOffset += count;
  return slice;
}

export function newIntentId(nowMs: number = Date.now()): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes.set(randomBytes(10), 6);
  let ms = nowMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms & 0xff;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

export function intentIdToString(id: Uint8Array): string {
  const hex = Buffer.from(id).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function intentIdFromString(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TypeError(`not a UUID: ${text}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
