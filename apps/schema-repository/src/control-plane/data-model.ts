import { controlPlaneErrors as errors } from './errors';
import { InvalidSchemaError, parseAvroSchema } from '../avro/parse';
import { DEFAULT_SCHEMA_BOUNDS, type SchemaBounds } from '../avro/schema-bounds';
import { canonicalText, schemaTextOf } from '../avro/schema-text';
import {
  CLAIM_CHECK_BYTES_BOUNDS,
  CLUSTER_NAME,
  DEFAULT_CLAIM_CHECK_BYTES,
  defaultEventTopic,
  envelopeSchemas,
  isTopicName,
  type AvroField,
} from '@wail/contracts';
import type { TableRoute } from './table-route';

/**
 * A data model maps a table's columns to an Avro record (field name = column
 * name). From it the repository derives the two schemas of the event topic
 * (`envelopeSchemas` of @wail/contracts, beside the value the consumer writes).
 */

const SUPPORTED_PRIMITIVES = new Set([
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'string',
  'bytes',
]);
const SUPPORTED_LOGICAL: Record<string, string> = {
  decimal: 'bytes',
  uuid: 'string',
  date: 'int',
  'time-millis': 'int',
  'time-micros': 'long',
  'timestamp-millis': 'long',
  'timestamp-micros': 'long',
};

export interface ModelSchemas {
  /** The user's record, normalized. */
  record: Record<string, unknown>;
  canonical: string;
  keySchema: Record<string, unknown>;
  valueSchema: Record<string, unknown>;
  eventTopic: string;
  /** Absent: the publishing consumer's own event cluster. */
  eventCluster?: string;
  claimCheckBytes: number;
}

/** Whether a field type is one WAIL maps to columns; nullable unions `[null, T]` allowed. */
function describeUnsupported(type: unknown): string | undefined {
  if (Array.isArray(type)) {
    const nonNull = type.filter((branch) => branch !== 'null');
    if (type.length !== 2 || nonNull.length !== 1) return 'unions must be ["null", T]';
    return describeUnsupported(nonNull[0]);
  }
  if (typeof type === 'string')
    return SUPPORTED_PRIMITIVES.has(type) ? undefined : `type ${type} is not supported`;
  if (type !== null && typeof type === 'object') {
    const object = type as Record<string, unknown>;
    const logical = object['logicalType'];
    if (typeof logical === 'string') {
      const base = SUPPORTED_LOGICAL[logical];
      if (!base) return `logical type ${logical} is not supported`;
      if (object['type'] !== base) return `logical type ${logical} must annotate ${base}`;
      return undefined;
    }
    if (typeof object['type'] === 'string' && SUPPORTED_PRIMITIVES.has(object['type']))
      return undefined;
    return `type ${JSON.stringify(object['type'])} is not supported (records, arrays, maps, enums and fixed are not column types)`;
  }
  return 'missing type';
}

export function buildModelSchemas(
  table: string,
  route: TableRoute,
  schemaInput: unknown,
  eventTopicInput: unknown,
  eventClusterInput: unknown,
  bounds: SchemaBounds = DEFAULT_SCHEMA_BOUNDS,
  claimCheckBytesInput: unknown = undefined,
): ModelSchemas {
  let json: unknown = schemaInput;
  if (typeof schemaInput === 'string') {
    try {
      json = JSON.parse(schemaInput);
    } catch {
      throw errors.invalidModel('"schema" is a string that is not JSON');
    }
  }
  if (
    json === null ||
    typeof json !== 'object' ||
    Array.isArray(json) ||
    (json as Record<string, unknown>)['type'] !== 'record'
  ) {
    throw errors.invalidModel('"schema" must be an Avro record (an object with "type": "record")');
  }
  try {
    parseAvroSchema(schemaTextOf(json, bounds.maxDepth), [], bounds);
  } catch (error) {
    if (error instanceof InvalidSchemaError) throw errors.invalidModel(error.message);
    throw error;
  }
  const record = JSON.parse(canonicalText(json)) as Record<string, unknown>;
  const fields = record['fields'] as AvroField[];
  const problems: string[] = [];
  for (const field of fields) {
    const unsupported = describeUnsupported(field.type);
    if (unsupported) problems.push(`field "${field.name}": ${unsupported}`);
    if (field.name === 'wail_ts')
      problems.push('field "wail_ts" is WAIL\'s version column; the event carries it as "version"');
  }
  const keyFields: AvroField[] = [];
  for (const column of route.keyColumns) {
    const field = fields.find((candidate) => candidate.name === column);
    if (!field) problems.push(`key column "${column}" of the route is not a field of the schema`);
    else if (Array.isArray(field.type)) problems.push(`key column "${column}" cannot be nullable`);
    else keyFields.push({ name: field.name, type: field.type });
  }
  const eventTopic = eventTopicInput ?? defaultEventTopic(table);
  if (typeof eventTopic !== 'string' || !isTopicName(eventTopic))
    problems.push('"eventTopic" must be a legal Kafka topic name');
  const eventCluster = eventClusterInput ?? undefined;
  if (
    eventCluster !== undefined &&
    (typeof eventCluster !== 'string' || !CLUSTER_NAME.test(eventCluster))
  )
    problems.push(
      '"eventCluster" must be a cluster name of WAIL_KAFKA_CLUSTERS (lower-case letters, digits, _ and -, starting with a letter, ≤ 32)',
    );
  const claimCheckBytes = claimCheckBytesInput ?? DEFAULT_CLAIM_CHECK_BYTES;
  if (
    typeof claimCheckBytes !== 'number' ||
    !Number.isInteger(claimCheckBytes) ||
    claimCheckBytes < CLAIM_CHECK_BYTES_BOUNDS.min ||
    claimCheckBytes > CLAIM_CHECK_BYTES_BOUNDS.max
  )
    problems.push(
      `"claimCheckBytes" must be an integer from ${CLAIM_CHECK_BYTES_BOUNDS.min} to ${CLAIM_CHECK_BYTES_BOUNDS.max} (bytes of an encoded event value)`,
    );
  if (problems.length > 0) throw errors.invalidModel(problems.join('; '));

  const { keySchema, valueSchema } = envelopeSchemas(record, keyFields);
  return {
    record,
    canonical: canonicalText(record),
    keySchema,
    valueSchema,
    eventTopic: eventTopic as string,
    ...(eventCluster === undefined ? {} : { eventCluster: eventCluster as string }),
    claimCheckBytes: claimCheckBytes as number,
  };
}
