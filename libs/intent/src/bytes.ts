/**
 * A minimal growable byte writer and a bounds-checked reader: the primitives
 * of the intent wire format. Reading past the end is an `IntentMalformedError`,
 * never garbage.
 */
import { IntentMalformedError } from './errors';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Writes into a Buffer from Node's pool (a small one is a slice of a shared
 * slab, no allocation of its own), strings encoded in place, and hands back
 * a view of what it wrote: the proxy encodes two of these per mutation.
 */
export class ByteWriter {
  private buffer = Buffer.allocUnsafe(128);
  private length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    this.ensure(2);
    this.buffer.writeUInt16BE(value & 0xffff, this.length);
    this.length += 2;
    return this;
  }

  i64(value: bigint): this {
    this.ensure(8);
    this.buffer.writeBigInt64BE(BigInt.asIntN(64, value), this.length);
    this.length += 8;
    return this;
  }

  f64(value: number): this {
    this.ensure(8);
    this.buffer.writeDoubleBE(value, this.length);
    this.length += 8;
    return this;
  }

  /** Unsigned LEB128. */
  uvarint(value: number): this {
    let remaining = value;
    while (remaining >= 0x80) {
      this.u8((remaining & 0x7f) | 0x80);
      remaining = Math.floor(remaining / 128);
    }
    return this.u8(remaining);
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** `uvarint(length) bytes` */
  bytes(bytes: Uint8Array): this {
    return this.uvarint(bytes.length).raw(bytes);
  }

  /** `uvarint(length) utf8` (a lone surrogate as U+FFFD, as TextEncoder does) */
  string(value: string): this {
    const size = Buffer.byteLength(value, 'utf8');
    this.uvarint(size).ensure(size);
    this.length += this.buffer.write(value, this.length, size, 'utf8');
    return this;
  }

  /** What was written: a Buffer, a view of the writer's (do not write more after). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.bytes.length) {
      throw new IntentMalformedError(
        `truncated: ${what} needs ${count} bytes at offset ${this.offset}, ${this.remaining} left`,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const value = this.view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }

  i64(what: string): bigint {
    this.need(8, what);
    const value = this.view.getBigInt64(this.offset);
    this.offset += 8;
    return value;
  }

  f64(what: string): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.offset);
    this.offset += 8;
    return value;
  }

  uvarint(what: string): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const byte = this.u8(what);
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new IntentMalformedError(`${what}: varint longer than 5 bytes`);
  }

  raw(count: number, what: string): Uint8Array {
    this.need(count, what);
    const slice = this.bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  bytesField(what: string): Uint8Array {
    return this.raw(this.uvarint(`${what} length`), what);
  }

  string(what: string): string {
    try {
      return decoder.decode(this.bytesField(what));
    } catch (error) {
      if (error instanceof IntentMalformedError) throw error;
      throw new IntentMalformedError(`${what}: invalid UTF-8`);
    }
  }
}
