import { DEFAULT_SCHEMA_BOUNDS } from '../avro/schema-bounds';
import {
  CLAIM_CHECK_BYTES_BOUNDS,
  CLUSTER_NAME,
  DEFAULT_CLAIM_CHECK_BYTES,
  DEFAULT_CLUSTER,
  DEFAULT_FAILURE_MODE,
  DEFAULT_INTENT_TOPIC,
  DEFAULT_VISIBILITY_WINDOW_MS,
  IDENTIFIER,
  STORE_KINDS,
  VISIBILITY_WINDOW_MS_BOUNDS,
} from '@wail/contracts';
import { described } from '@wail/runtime';

/** Re-exported for the route modules: one helper for every service's documents. */
export { described };

/**
 * The pieces route schemas share. Route schemas document the API (the OpenAPI
 * document is generated from them, see `openapi.ts`); they validate nothing.
 */

type JsonSchema = Record<string, unknown>;

const reference = (id: string) => ({ $ref: `${id}#` });

/** An error answer, `{"error_code", "message"}`. */
export const errorAnswer = reference('Error');
export const subjectVersion = reference('SubjectVersion');
export const schemaRequest = reference('SchemaRequest');
export const tableRoute = reference('TableRoute');
export const modelRequest = reference('ModelRequest');
export const modelVersion = reference('ModelVersion');

/** Path parameters (every one required). */
export function pathParams(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties) };
}

/** Query parameters (every one optional). */
export function queryParams(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', properties };
}

export const subject = { type: 'string', description: 'URL-encoded; may contain /' };
export const version = {
  type: 'string',
  description: 'an integer in [1, 2^31-1], "latest" or -1',
};
export const id = { type: 'integer' };
export const table = { type: 'string', pattern: IDENTIFIER.source };

/** A query flag: `true` (any case) turns it on, anything else leaves it off. */
export const toggle = (description?: string) => ({
  type: 'boolean',
  ...(description ? { description } : {}),
});
export const deleted = toggle('include soft-deleted items');

export const integers = { type: 'array', items: { type: 'integer' } };
export const strings = { type: 'array', items: { type: 'string' } };

/** A JSON body with one string field, `/config` and `/mode` style. */
export function stringField(name: string): JsonSchema {
  return { type: 'object', properties: { [name]: { type: 'string' } } };
}

const n = (value: number) => value.toLocaleString('en-US');
const bounds = DEFAULT_SCHEMA_BOUNDS;

/** The component schemas, registered with `addSchema` and referenced by `$id`. */
export const SHARED_SCHEMAS: readonly JsonSchema[] = [
  {
    $id: 'Error',
    description: 'an error',
    type: 'object',
    properties: { error_code: { type: 'integer' }, message: { type: 'string' } },
  },
  {
    $id: 'Reference',
    type: 'object',
    required: ['name', 'subject', 'version'],
    properties: {
      name: { type: 'string' },
      subject: { type: 'string' },
      version: { type: 'integer' },
    },
  },
  {
    $id: 'SchemaRequest',
    type: 'object',
    required: ['schema'],
    properties: {
      schema: {
        type: 'string',
        description:
          `Avro schema text, within the limits (422 beyond, naming the bound): ${n(bounds.maxLength)} characters, ` +
          `nesting depth ${n(bounds.maxDepth)}, ${n(bounds.maxNamedTypes)} named types, unions of ${n(bounds.maxUnionBranches)} branches, names of ${n(bounds.maxNameLength)} characters, ` +
          `${n(bounds.maxReferences)} referenced schemas, ${n(bounds.maxComparisons)} type comparisons per compatibility check (defaults; see the README)`,
      },
      schemaType: { type: 'string', enum: ['AVRO'] },
      references: { type: 'array', items: reference('Reference') },
      id: { type: 'integer', description: 'IMPORT mode only' },
      version: { type: 'integer', description: 'IMPORT mode, or the next version' },
    },
  },
  {
    $id: 'SubjectVersion',
    type: 'object',
    properties: {
      subject: { type: 'string' },
      version: { type: 'integer' },
      id: { type: 'integer' },
      schema: { type: 'string' },
      references: { type: 'array', items: reference('Reference') },
    },
  },
  {
    $id: 'TableRoute',
    type: 'object',
    required: ['store', 'keyColumns'],
    properties: {
      store: { type: 'string', enum: [...STORE_KINDS] },
      keyspace: { type: 'string', description: 'cassandra routes' },
      database: { type: 'string', description: 'mysql and postgres routes' },
      schema: {
        type: 'string',
        description: 'postgres routes: the schema within the database (default public)',
      },
      keyPrefix: {
        type: 'string',
        pattern: '^[A-Za-z0-9_.:-]{1,100}$',
        description:
          'redis routes: rows are hashes at <keyPrefix>:<key>; one table per prefix, none nested in another (409 40942)',
      },
      physicalTable: {
        type: 'string',
        description: 'defaults to the logical table name (redis: must be the logical table name)',
      },
      keyColumns: { type: 'array', items: { type: 'string' }, minItems: 1 },
      intentTopic: {
        type: 'string',
        default: DEFAULT_INTENT_TOPIC,
        description:
          "starts with one of WAIL_INTENT_TOPIC_PREFIXES; never a model's event topic (409) nor the consumers' unmaterialized or dead-letter topic (422)",
      },
      intentCluster: {
        type: 'string',
        pattern: CLUSTER_NAME.source,
        default: DEFAULT_CLUSTER,
        description:
          'the Kafka cluster of intentTopic: main or a name of WAIL_KAFKA_CLUSTERS (422 otherwise); changing it, or intentTopic, moves the table (see drainFrom)',
      },
      drainFrom: {
        type: 'object',
        nullable: true,
        required: ['intentCluster', 'intentTopic', 'revision'],
        additionalProperties: false,
        properties: {
          intentCluster: { type: 'string', pattern: CLUSTER_NAME.source },
          intentTopic: { type: 'string' },
          revision: { type: 'integer', minimum: 1 },
        },
        description:
          'set by the repository while the table moves: the location its intents used to go and the revision that moved it. A PUT may leave it out or repeat it as read back (it stays), or send null to end the move; any other value is 422 42241, and moving again before the end is 409 40943',
      },
      failureMode: {
        type: 'string',
        enum: ['transactional', 'independent'],
        default: DEFAULT_FAILURE_MODE,
      },
      visibilityWindowMs: {
        type: 'integer',
        default: DEFAULT_VISIBILITY_WINDOW_MS,
        minimum: VISIBILITY_WINDOW_MS_BOUNDS.min,
        maximum: VISIBILITY_WINDOW_MS_BOUNDS.max,
      },
      revision: { type: 'integer', readOnly: true },
    },
  },
  {
    $id: 'ModelRequest',
    type: 'object',
    required: ['schema'],
    properties: {
      schema: {
        description: 'an Avro record, as JSON or as a string; field names are column names',
        oneOf: [{ type: 'object' }, { type: 'string' }],
      },
      eventTopic: {
        type: 'string',
        description:
          "defaults to wail.events.<table>; starts with one of WAIL_EVENT_TOPIC_PREFIXES; never a route's intent topic nor another table's event topic (409), nor the consumers' own topics (422)",
      },
      eventCluster: {
        type: 'string',
        pattern: CLUSTER_NAME.source,
        description:
          "the Kafka cluster of eventTopic: main or a name of WAIL_KAFKA_CLUSTERS (422 otherwise); absent, the consumer's WAIL_CONSUMER_EVENT_CLUSTER. Changing only it makes a new version",
      },
      claimCheckBytes: {
        type: 'integer',
        default: DEFAULT_CLAIM_CHECK_BYTES,
        minimum: CLAIM_CHECK_BYTES_BOUNDS.min,
        maximum: CLAIM_CHECK_BYTES_BOUNDS.max,
        description:
          'an event whose encoded value is larger goes to the object store and the event carries a claimCheck pointer instead of after (docs/claim-checks.md; 422 outside the bounds). Changing only it makes a new version',
      },
    },
  },
  {
    $id: 'ModelVersion',
    type: 'object',
    properties: {
      table: { type: 'string' },
      version: { type: 'integer' },
      keySchemaId: { type: 'integer' },
      valueSchemaId: { type: 'integer' },
      eventTopic: { type: 'string' },
      eventCluster: { type: 'string', description: 'only when the version names one' },
      claimCheckBytes: { type: 'integer', description: 'the claim-check threshold, in bytes' },
    },
  },
];
