/**
 * The repository's OpenAPI document, served at `GET /openapi.json`. A test
 * checks that every route the app registers is documented here and that every
 * documented path exists.
 */
const json = 'application/vnd.schemaregistry.v1+json';

const error = { $ref: '#/components/responses/Error' };
const ok = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: { [json]: { schema } },
});
const subject = {
  name: 'subject',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'URL-encoded; may contain /',
};
const version = {
  name: 'version',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'an integer in [1, 2^31-1], "latest" or -1',
};
const id = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
const table = {
  name: 'table',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
};
const q = (name: string, description: string, type = 'boolean') => ({
  name,
  in: 'query',
  required: false,
  schema: { type },
  description,
});
const deleted = q('deleted', 'include soft-deleted items');
const schemaRequest = { $ref: '#/components/schemas/SchemaRequest' };
const body = (schema: Record<string, unknown>) => ({
  required: true,
  content: { [json]: { schema } },
});
/** Writes: the write token. */
const secured = [{ bearer: [] }];
/** Anyone, whatever tokens are configured. */
const open: never[] = [];

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'WAIL schema repository',
    version: '0.1.0',
    description:
      'A Confluent Schema Registry–compatible API (Avro, pre-8.0 response shapes) plus WAIL table routes and data models. ' +
      'Errors are {"error_code": <int>, "message": "…"}; the HTTP status is the first three digits of error_code. ' +
      'Requests may use application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json or application/octet-stream.',
  },
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          'Writes need WAIL_REPOSITORY_WRITE_TOKEN (or its former name WAIL_REPOSITORY_TOKEN) when one is set; the read token there answers 403. ' +
          'Every other operation needs the read or the write token once WAIL_REPOSITORY_READ_TOKEN is set, and compatibility tests once either token is set. ' +
          'Operations marked with an empty security list are public.',
      },
    },
    responses: {
      Error: {
        description: 'an error',
        content: {
          [json]: {
            schema: {
              type: 'object',
              properties: { error_code: { type: 'integer' }, message: { type: 'string' } },
            },
          },
        },
      },
    },
    schemas: {
      SchemaRequest: {
        type: 'object',
        required: ['schema'],
        properties: {
          schema: {
            type: 'string',
            description:
              'Avro schema text, within the limits (422 beyond, naming the bound): 1,000,000 characters, ' +
              'nesting depth 64, 1,000 named types, unions of 100 branches, names of 1,000 characters, ' +
              '100 referenced schemas, 500,000 type comparisons per compatibility check (defaults; see the README)',
          },
          schemaType: { type: 'string', enum: ['AVRO'] },
          references: { type: 'array', items: { $ref: '#/components/schemas/Reference' } },
          id: { type: 'integer', description: 'IMPORT mode only' },
          version: { type: 'integer', description: 'IMPORT mode, or the next version' },
        },
      },
      Reference: {
        type: 'object',
        required: ['name', 'subject', 'version'],
        properties: {
          name: { type: 'string' },
          subject: { type: 'string' },
          version: { type: 'integer' },
        },
      },
      SubjectVersion: {
        type: 'object',
        properties: {
          subject: { type: 'string' },
          version: { type: 'integer' },
          id: { type: 'integer' },
          schema: { type: 'string' },
          references: { type: 'array', items: { $ref: '#/components/schemas/Reference' } },
        },
      },
      TableRoute: {
        type: 'object',
        required: ['store', 'keyColumns'],
        properties: {
          store: { type: 'string', enum: ['cassandra', 'mysql'] },
          keyspace: { type: 'string', description: 'cassandra routes' },
          database: { type: 'string', description: 'mysql routes' },
          physicalTable: { type: 'string', description: 'defaults to the logical table name' },
          keyColumns: { type: 'array', items: { type: 'string' }, minItems: 1 },
          intentTopic: {
            type: 'string',
            default: 'wail.intents',
            description:
              "starts with one of WAIL_INTENT_TOPIC_PREFIXES; never a model's event topic (409) nor the consumers' unmaterialized or dead-letter topic (422)",
          },
          failureMode: {
            type: 'string',
            enum: ['transactional', 'independent'],
            default: 'transactional',
          },
          visibilityWindowMs: { type: 'integer', default: 10000, minimum: 100, maximum: 3600000 },
          revision: { type: 'integer', readOnly: true },
        },
      },
      ModelRequest: {
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
        },
      },
      ModelVersion: {
        type: 'object',
        properties: {
          table: { type: 'string' },
          version: { type: 'integer' },
          keySchemaId: { type: 'integer' },
          valueSchemaId: { type: 'integer' },
          eventTopic: { type: 'string' },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/': { get: { summary: 'root', security: open, responses: { 200: ok('{}') } } },
    '/healthz': {
      get: { summary: 'liveness', security: open, responses: { 200: ok('live') } },
    },
    '/readyz': {
      get: {
        summary: 'readiness (MySQL)',
        security: open,
        responses: { 200: ok('ready'), 503: ok('unready') },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        security: open,
        responses: { 200: { description: 'text exposition format' } },
      },
    },
    '/openapi.json': {
      get: { summary: 'this document', security: open, responses: { 200: ok('OpenAPI 3') } },
    },
    '/schemas/types': {
      get: {
        summary: 'supported schema types',
        security: open,
        responses: { 200: ok('["AVRO"]', { type: 'array', items: { type: 'string' } }) },
      },
    },
    '/schemas': {
      get: {
        summary: 'list schemas',
        parameters: [
          q('subjectPrefix', 'only subjects starting with this', 'string'),
          deleted,
          q('latestOnly', 'latest version per subject'),
          q('offset', '', 'integer'),
          q('limit', '', 'integer'),
        ],
        responses: {
          200: ok('subject versions', {
            type: 'array',
            items: { $ref: '#/components/schemas/SubjectVersion' },
          }),
        },
      },
    },
    '/schemas/ids/{id}': {
      get: {
        summary: 'a schema by global id',
        security: open,
        parameters: [id],
        responses: { 200: ok('{"schema": "…"}'), 404: error },
      },
    },
    '/schemas/ids/{id}/schema': {
      get: {
        summary: 'the raw schema by id',
        security: open,
        parameters: [id],
        responses: { 200: ok('the schema JSON'), 404: error },
      },
    },
    '/schemas/ids/{id}/subjects': {
      get: {
        summary: 'subjects using this id',
        parameters: [id, deleted],
        responses: {
          200: ok('subjects', { type: 'array', items: { type: 'string' } }),
          404: error,
        },
      },
    },
    '/schemas/ids/{id}/versions': {
      get: {
        summary: 'subject versions using this id',
        parameters: [id, deleted],
        responses: { 200: ok('[{subject, version}]', { type: 'array' }), 404: error },
      },
    },
    '/subjects': {
      get: {
        summary: 'list subjects',
        parameters: [
          q('subjectPrefix', '', 'string'),
          deleted,
          q('deletedOnly', 'only soft-deleted subjects'),
        ],
        responses: { 200: ok('subjects', { type: 'array', items: { type: 'string' } }) },
      },
    },
    '/subjects/{subject}': {
      post: {
        summary: 'look up a schema in a subject',
        parameters: [subject, deleted],
        requestBody: body(schemaRequest),
        responses: {
          200: ok('the version', { $ref: '#/components/schemas/SubjectVersion' }),
          404: error,
          422: error,
        },
      },
      delete: {
        summary: 'soft-delete (or, after that, permanently delete) a subject',
        security: secured,
        parameters: [subject, q('permanent', 'hard delete')],
        responses: {
          200: ok('deleted versions', { type: 'array', items: { type: 'integer' } }),
          404: error,
          422: error,
        },
      },
    },
    '/subjects/{subject}/versions': {
      get: {
        summary: 'versions of a subject',
        parameters: [subject, deleted, q('deletedOnly', '')],
        responses: {
          200: ok('versions', { type: 'array', items: { type: 'integer' } }),
          404: error,
        },
      },
      post: {
        summary: 'register a schema',
        security: secured,
        parameters: [
          subject,
          q('normalize', 'accepted; identity is always normalized'),
          q('force', 'skip the compatibility check'),
        ],
        requestBody: body(schemaRequest),
        responses: {
          200: ok('{"id": N}', { type: 'object', properties: { id: { type: 'integer' } } }),
          409: error,
          422: error,
        },
      },
    },
    '/subjects/{subject}/versions/{version}': {
      get: {
        summary: 'a version',
        parameters: [subject, version, deleted],
        responses: {
          200: ok('the version', { $ref: '#/components/schemas/SubjectVersion' }),
          404: error,
          422: error,
        },
      },
      delete: {
        summary: 'soft- or permanently delete a version',
        security: secured,
        parameters: [subject, version, q('permanent', 'hard delete')],
        responses: { 200: ok('the version number', { type: 'integer' }), 404: error, 422: error },
      },
    },
    '/subjects/{subject}/versions/{version}/schema': {
      get: {
        summary: 'the raw schema of a version',
        parameters: [subject, version, deleted],
        responses: { 200: ok('schema JSON'), 404: error },
      },
    },
    '/subjects/{subject}/versions/{version}/referencedby': {
      get: {
        summary: 'ids of schemas referencing this version',
        parameters: [subject, version],
        responses: { 200: ok('ids', { type: 'array', items: { type: 'integer' } }), 404: error },
      },
    },
    '/compatibility/subjects/{subject}/versions/{version}': {
      post: {
        summary: 'test against one version',
        parameters: [subject, version, q('verbose', 'include messages')],
        requestBody: body(schemaRequest),
        responses: { 200: ok('{"is_compatible": bool}'), 401: error, 404: error, 422: error },
      },
    },
    '/compatibility/subjects/{subject}/versions': {
      post: {
        summary: 'test as a registration would',
        parameters: [subject, q('verbose', 'include messages')],
        requestBody: body(schemaRequest),
        responses: { 200: ok('{"is_compatible": bool}'), 401: error, 422: error },
      },
    },
    '/config': {
      get: {
        summary: 'global compatibility',
        responses: { 200: ok('{"compatibilityLevel": "BACKWARD"}') },
      },
      put: {
        summary: 'set global compatibility',
        security: secured,
        requestBody: body({ type: 'object', properties: { compatibility: { type: 'string' } } }),
        responses: { 200: ok('{"compatibility": "…"}'), 422: error },
      },
      delete: {
        summary: 'reset global compatibility',
        security: secured,
        responses: { 200: ok('the previous level') },
      },
    },
    '/config/{subject}': {
      get: {
        summary: 'subject compatibility',
        parameters: [subject, q('defaultToGlobal', 'fall back to the global level')],
        responses: { 200: ok('{"compatibilityLevel": "…"}'), 404: error },
      },
      put: {
        summary: 'set subject compatibility',
        security: secured,
        parameters: [subject],
        requestBody: body({ type: 'object', properties: { compatibility: { type: 'string' } } }),
        responses: { 200: ok('{"compatibility": "…"}'), 422: error },
      },
      delete: {
        summary: 'remove subject compatibility',
        security: secured,
        parameters: [subject],
        responses: { 200: ok('the previous level'), 404: error },
      },
    },
    '/mode': {
      get: { summary: 'global mode', responses: { 200: ok('{"mode": "READWRITE"}') } },
      put: {
        summary: 'set global mode',
        security: secured,
        parameters: [q('force', 'allow IMPORT with existing subjects')],
        requestBody: body({ type: 'object', properties: { mode: { type: 'string' } } }),
        responses: { 200: ok('{"mode": "…"}'), 422: error },
      },
    },
    '/mode/{subject}': {
      get: {
        summary: 'subject mode',
        parameters: [subject, q('defaultToGlobal', '')],
        responses: { 200: ok('{"mode": "…"}'), 404: error },
      },
      put: {
        summary: 'set subject mode',
        security: secured,
        parameters: [subject, q('force', '')],
        requestBody: body({ type: 'object', properties: { mode: { type: 'string' } } }),
        responses: { 200: ok('{"mode": "…"}'), 422: error },
      },
      delete: {
        summary: 'remove subject mode',
        security: secured,
        parameters: [subject],
        responses: { 200: ok('the previous mode'), 404: error },
      },
    },
    '/contexts': {
      get: { summary: 'contexts (only the default)', responses: { 200: ok('["."]') } },
    },
    '/v1/metadata/id': { get: { summary: 'cluster id', responses: { 200: ok('id') } } },
    '/v1/metadata/version': {
      get: { summary: 'server version', responses: { 200: ok('version') } },
    },
    '/v1/tables': {
      get: {
        summary: 'all table routes and the control-plane revision',
        description:
          'The ETag is the revision; send If-None-Match to get 304 until a route or model changes.',
        responses: {
          200: ok('{"revision": N, "tables": [...]}'),
          304: { description: 'unchanged' },
        },
      },
    },
    '/v1/tables/{table}': {
      get: {
        summary: 'a table route',
        parameters: [table],
        responses: {
          200: ok('the route and its revision', { $ref: '#/components/schemas/TableRoute' }),
          404: error,
        },
      },
      put: {
        summary: 'create or replace a route (idempotent)',
        security: secured,
        parameters: [table],
        requestBody: body({ $ref: '#/components/schemas/TableRoute' }),
        responses: {
          200: ok('the stored route', { $ref: '#/components/schemas/TableRoute' }),
          409: error,
          422: error,
        },
      },
      delete: {
        summary: 'remove a route',
        security: secured,
        parameters: [table],
        responses: { 200: ok('the removed route'), 404: error },
      },
    },
    '/v1/models/{table}/versions': {
      get: {
        summary: 'data model versions',
        parameters: [table],
        responses: {
          200: ok('versions', { type: 'array', items: { type: 'integer' } }),
          404: error,
        },
      },
      post: {
        summary: 'register a data model version',
        security: secured,
        parameters: [table],
        requestBody: body({ $ref: '#/components/schemas/ModelRequest' }),
        responses: {
          200: ok('the version', { $ref: '#/components/schemas/ModelVersion' }),
          404: error,
          409: error,
          422: error,
        },
      },
    },
    '/v1/models/{table}/versions/{version}': {
      get: {
        summary: 'a data model version (number or latest)',
        parameters: [table, version],
        responses: { 200: ok('the model with its schema'), 404: error },
      },
    },
  },
} as const;
