/**
 * What one schema may cost. Every bound is checked while the schema is read
 * (or, for comparisons, while it is checked), so a schema over a bound is
 * refused after work proportional to the bound, never after work that grows
 * faster than the schema's size.
 */
export interface SchemaBounds {
  /** Longest schema text, in characters. */
  maxLength: number;
  /**
   * Deepest nesting: of types (a record, array or map inside another counts
   * one level; a union is a choice, not a level) and of the JSON values in
   * defaults, `doc` and custom properties.
   */
  maxDepth: number;
  /** Most named types (records, errors, enums, fixed), references' types included. */
  maxNamedTypes: number;
  /** Most branches of one union. */
  maxUnionBranches: number;
  /** Longest full name (namespace included) of a named type or alias. */
  maxNameLength: number;
  /** Most distinct schemas a schema references, directly or through other references. */
  maxReferences: number;
  /** Most reader/writer type pairs (and reported problems) one compatibility check may visit. */
  maxComparisons: number;
}

/**
 * Generous for real schemas, small enough that reading, normalizing and
 * checking any schema within them stays far below 100 ms:
 * - length 1,000,000 characters: the default request body limit is 1 MiB;
 * - depth 64: hand-written schemas rarely nest past 10, generated ones past 30;
 * - 1,000 named types: an event schema with more is a whole data model;
 * - 100 union branches: unions are nullable types or choices of a few dozen
 *   event types;
 * - names of 1,000 characters: a Java class name with its package is a
 *   fraction of that (without a bound, a long namespace copied into every
 *   type it encloses costs its length times their number);
 * - 100 references: a schema imports a handful of shared types;
 * - 500,000 comparisons: checking a schema of 25,000 nullable fields (a
 *   megabyte) against itself needs half of that; 500,000 take about 50 ms.
 */
export const DEFAULT_SCHEMA_BOUNDS: Readonly<SchemaBounds> = Object.freeze({
  maxLength: 1_000_000,
  maxDepth: 64,
  maxNamedTypes: 1000,
  maxUnionBranches: 100,
  maxNameLength: 1000,
  maxReferences: 100,
  maxComparisons: 500_000,
});

/**
 * For schemas already stored: they were accepted when registered, and
 * refusing to read one later would lock its subject. Comparisons stay
 * bounded (they depend on the candidate too).
 */
export const STORED_SCHEMA_BOUNDS: Readonly<SchemaBounds> = Object.freeze({
  maxLength: Number.POSITIVE_INFINITY,
  maxDepth: Number.POSITIVE_INFINITY,
  maxNamedTypes: Number.POSITIVE_INFINITY,
  maxUnionBranches: Number.POSITIVE_INFINITY,
  maxNameLength: Number.POSITIVE_INFINITY,
  maxReferences: Number.POSITIVE_INFINITY,
  maxComparisons: DEFAULT_SCHEMA_BOUNDS.maxComparisons,
});

export type SchemaBound = keyof SchemaBounds;

/** Avro schema text that is not a valid schema. */
export class InvalidSchemaError extends Error {
  override readonly name: string = 'InvalidSchemaError';
}

/** A schema, or a compatibility check of one, over one of the bounds. */
export class SchemaBoundError extends InvalidSchemaError {
  override readonly name: string = 'SchemaBoundError';

  constructor(
    readonly bound: SchemaBound,
    readonly limit: number,
    message: string,
  ) {
    super(message);
  }
}
