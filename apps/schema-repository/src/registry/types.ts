import type { CompatibilityLevel } from '../avro/compatibility';
import type { SchemaReference } from '../avro/parse';

export type { CompatibilityLevel } from '../avro/compatibility';
export type { SchemaReference } from '../avro/parse';

export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type Mode = (typeof MODES)[number];

export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}

/** The largest version number (and schema id): Confluent's Java `int`. */
export const MAX_VERSION = 2 ** 31 - 1;

/** `latest` (also spelled `-1`) or a version number in [1, MAX_VERSION]. */
export type VersionSpec = number | 'latest';

export interface StoredSchema {
  id: number;
  schemaType: 'AVRO';
  schema: string;
  references: SchemaReference[];
}

export interface SubjectVersion extends StoredSchema {
  subject: string;
  version: number;
}

export interface RegisterRequest {
  schema: string;
  schemaType?: string | undefined;
  references?: SchemaReference[] | undefined;
  /** IMPORT mode only. */
  id?: number | undefined;
  version?: number | undefined;
}

export interface CompatibilityResult {
  is_compatible: boolean;
  messages?: string[];
}

export type DefaultCompatibility = CompatibilityLevel;
