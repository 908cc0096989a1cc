import { types, type Schema } from 'avsc';

/**
 * Read-only Avro logical types for showing events as JSON: decimals as exact
 * decimal text, dates and timestamps as ISO-8601 text (microseconds kept). For readers
 * (`wail tail`, the event gateway), never for writing events.
 */
export class DecimalText extends types.LogicalType {
  private readonly scale: number;

  constructor(schema: Schema, opts?: object) {
    super(schema, opts);
    this.scale = (schema as { scale?: number }).scale ?? 0;
  }

  override _fromValue(value: Buffer): string {
    let unscaled = 0n;
    for (const byte of value) unscaled = (unscaled << 8n) | BigInt(byte);
    if (value.length > 0 && (value[0]! & 0x80) !== 0) unscaled -= 1n << BigInt(value.length * 8);
    const negative = unscaled < 0n;
    const digits = (negative ? -unscaled : unscaled).toString().padStart(this.scale + 1, '0');
    const text =
      this.scale === 0 ? digits : `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
    return negative ? `-${text}` : text;
  }

  override _toValue(value: unknown): unknown {
    return value;
  }
}

export class MicrosIso extends types.LogicalType {
  override _fromValue(value: number): string {
    return microsToIso(value);
  }

  override _toValue(value: unknown): unknown {
    return value;
  }
}

export class MillisIso extends types.LogicalType {
  override _fromValue(value: number): string {
    return new Date(value).toISOString();
  }

  override _toValue(value: unknown): unknown {
    return value;
  }
}

export class DateIso extends types.LogicalType {
  override _fromValue(value: number): string {
    return new Date(value * 86_400_000).toISOString().slice(0, 10);
  }

  override _toValue(value: unknown): unknown {
    return value;
  }
}

/** The logical types to decode with, by Avro name. */
export const READABLE_LOGICAL_TYPES = {
  date: DateIso,
  decimal: DecimalText,
  'timestamp-micros': MicrosIso,
  'timestamp-millis': MillisIso,
};

/** `2026-12-02T21:00:00.123456Z` for microseconds since the epoch. */
export function microsToIso(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const rest = micros - millis * 1000;
  return new Date(millis).toISOString().replace('Z', `${String(rest).padStart(3, '0')}Z`);
}

/** The microseconds since the epoch of `microsToIso`'s text. */
export function isoToMicros(text: string): number {
  const match = /^(.*\.\d{3})(\d{3})Z$/.exec(text);
  if (!match) return Date.parse(text) * 1000;
  return Date.parse(`${match[1]}Z`) * 1000 + Number(match[2]);
}
