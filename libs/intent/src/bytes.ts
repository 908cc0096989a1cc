/**
 * A minimal growable byte writer and a bounds-checked reader: the primitives
 * of the intent wire format. Reading past the end is an `IntentMalformedError`,
 * never garbage.
 */
import { IntentMalformedError } from './errors';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class ByteWriter {
  private buffer = new Uint8Array(128);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): this {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  i64(value: bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.length, value);
    this.length += 8;
    return this;
  }

  f64(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, value);
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

  /** `uvarint(length) utf8` */
  string(value: string): this {
    return this.bytes(encoder.encode(value));
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
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
