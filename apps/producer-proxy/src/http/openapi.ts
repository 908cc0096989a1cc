/** The proxy's OpenAPI document, served at `GET /openapi.json`; a test checks it against the routes. */
const json = 'application/json';
const error = { $ref: '#/components/responses/Error' };
const table = {
  name: 'table',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'logical table name (its route)',
};
const secured = [{ bearer: [] }];
const scalar = { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] };
const mutation = {
  type: 'object',
  required: ['op', 'key'],
  additionalProperties: false,
  properties: {
    op: { type: 'string', enum: ['upsert', 'delete'] },
    key: {
      type: 'object',
      additionalProperties: scalar,
      description: 'exactly the key columns of the route',
    },
    values: {
      type: 'object',
      additionalProperties: true,
      description:
        'columns to set (upsert only); omitted columns are left as they are. Binary as base64, timestamps as ISO 8601.',
    },
  },
};
const result = {
  type: 'object',
  properties: {
    intentId: { type: 'string', format: 'uuid' },
    ts: { type: 'integer', description: 'microseconds; the row version (wail_ts)' },
    intentLogged: {
      type: 'boolean',
      description: 'false only for independent tables while Kafka is down',
    },
  },
};
const ok = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: { [json]: { schema } },
});

const readinessReport = {
  type: 'object',
  properties: {
    status: { enum: ['ready', 'unready'] },
    draining: { type: 'boolean' },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          status: { enum: ['up', 'down'] },
          latencyMs: { type: 'integer' },
          error: { type: 'string', description: '<dependency>: <reason from error codes>' },
        },
      },
    },
  },
};

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'WAIL producer proxy',
    version: '0.1.0',
    description:
      'Writes through WAIL: each mutation is logged as an intent in Kafka (acks=all) before the database write, stamped with the same timestamp. ' +
      'Errors are {"error": {"code": "…", "message": "…"}} (codes in docs/errors.md).',
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'when WAIL_PROXY_TOKENS is set' },
    },
    responses: {
      Error: {
        description: 'an error',
        content: {
          [json]: {
            schema: {
              type: 'object',
              properties: {
                error: {
                  type: 'object',
                  properties: { code: { type: 'string' }, message: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
  },
  paths: {
    '/v1/tables/{table}/mutations': {
      post: {
        summary: 'one mutation',
        security: secured,
        parameters: [table],
        requestBody: { required: true, content: { [json]: { schema: mutation } } },
        responses: {
          200: ok('logged and written', result),
          400: error,
          401: error,
          403: error,
          404: error,
          413: error,
          422: error,
          503: error,
        },
      },
    },
    '/v1/mutations': {
      post: {
        summary: 'a batch of mutations (bounded); one intent request, per-item results',
        security: secured,
        requestBody: {
          required: true,
          content: {
            [json]: {
              schema: {
                type: 'object',
                required: ['mutations'],
                properties: {
                  mutations: {
                    type: 'array',
                    items: {
                      ...mutation,
                      required: ['table', 'op', 'key'],
                      properties: { table: { type: 'string' }, ...mutation.properties },
                    },
                  },
                },
              },
            },
          },
        },
        responses: {
          200: ok(
            'per-item results, in order: {status, intentId, ts, intentLogged} or {status, error}',
            {
              type: 'object',
              properties: { results: { type: 'array', items: { type: 'object' } } },
            },
          ),
          400: error,
          413: error,
        },
      },
    },
    '/v1/tables/{table}/rows': {
      get: {
        summary: 'the current row by key (strong read)',
        security: secured,
        parameters: [
          table,
          {
            name: '<keyColumn>',
            in: 'query',
            required: true,
            schema: { type: 'string' },
            description: 'one per key column',
          },
        ],
        responses: { 200: ok('{"row": {…}, "wail_ts": N}'), 404: error, 503: error },
      },
    },
    '/healthz': { get: { summary: 'liveness', responses: { 200: ok('live') } } },
    '/readyz': {
      get: {
        summary: 'readiness: Kafka and the configured stores',
        responses: {
          200: ok('ready', readinessReport),
          503: ok(
            'unready: each dependency down says why in a short, safe reason, e.g. "mysql: unavailable (ECONNREFUSED)"',
            readinessReport,
          ),
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: { 200: { description: 'text exposition format' } },
      },
    },
    '/openapi.json': { get: { summary: 'this document', responses: { 200: ok('OpenAPI 3') } } },
  },
} as const;
