import { controlPlaneErrors as errors } from './errors';
import { InvalidSchemaError, parseAvroSchema } from '../avro/parse';
import { DEFAULT_SCHEMA_BOUNDS, type SchemaBounds } from '../avro/schema-bounds';
import { canonicalText, schemaTextOf } from '../avro/schema-text';
import { isTopicName, type TableRoute } from './table-route';

/**
 * A data model maps a table's columns to an Avro record (field name = column
 * name). From it the repository derives the two schemas of the event topic:
 *
 *   key   (subject `<topic>-key`):   record <Name>Key { <key columns, route order> }
 *   value (subject `<topic>-value`): record <Name>Event {
 *     op: enum wail.Op { UPSERT, DELETE },
 *     key: <Name>Key,
 *     after: null | <Name>,           // null for a delete
 *     version: long (timestamp-micros) // the row's wail_ts
 *     source: record wail.Source { table, store, intentId, intentTs: timestamp-micros },
 *     modelVersion: int
 *   }
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
}

interface Field {
  name: string;
  type: unknown;
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
  bounds: SchemaBounds = DEFAULT_SCHEMA_BOUNDS,
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
  const fields = record['fields'] as Field[];
  const problems: string[] = [];
  for (const field of fields) {
    const unsupported = describeUnsupported(field.type);
    if (unsupported) problems.push(`field "${field.name}": ${unsupported}`);
    if (field.name === 'wail_ts')
      problems.push('field "wail_ts" is WAIL\'s version column; the event carries it as "version"');
  }
  const keyFields: Field[] = [];
  for (const column of route.keyColumns) {
    const field = fields.find((candidate) => candidate.name === column);
    if (!field) problems.push(`key column "${column}" of the route is not a field of the schema`);
    else if (Array.isArray(field.type)) problems.push(`key column "${column}" cannot be nullable`);
    else keyFields.push({ name: field.name, type: field.type });
  }
  const eventTopic = eventTopicInput ?? `wail.events.${table}`;
  if (typeof eventTopic !== 'string' || !isTopicName(eventTopic))
    problems.push('"eventTopic" must be a legal Kafka topic name');
  if (problems.length > 0) throw errors.invalidModel(problems.join('; '));

  const name = String(record['name']);
  const shortName = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
  // As in Avro: a dotted name carries its own namespace and the attribute is
  // then ignored (it may even be invalid, which the parser does not check).
  const namespace = name.includes('.')
    ? name.slice(0, name.lastIndexOf('.'))
    : typeof record['namespace'] === 'string' && record['namespace'] !== ''
      ? record['namespace']
      : undefined;
  const qualify = (local: string) => (namespace ? `${namespace}.${local}` : local);
  const keySchema = { type: 'record', name: qualify(`${shortName}Key`), fields: keyFields };
  const valueSchema = {
    type: 'record',
    name: qualify(`${shortName}Event`),
    fields: [
      { name: 'op', type: { type: 'enum', name: 'wail.Op', symbols: ['UPSERT', 'DELETE'] } },
      { name: 'key', type: keySchema },
      { name: 'after', type: ['null', record], default: null },
      { name: 'version', type: { type: 'long', logicalType: 'timestamp-micros' } },
      {
        name: 'source',
        type: {
          type: 'record',
          name: 'wail.Source',
          fields: [
            { name: 'table', type: 'string' },
            { name: 'store', type: 'string' },
            { name: 'intentId', type: 'string' },
            { name: 'intentTs', type: { type: 'long', logicalType: 'timestamp-micros' } },
          ],
        },
      },
      { name: 'modelVersion', type: 'int' },
    ],
  };
  return {
    record,
    canonical: canonicalText(record),
    keySchema,
    valueSchema,
    eventTopic: eventTopic as string,
  };
}
