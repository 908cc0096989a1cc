import { Type, type Static } from '@sinclair/typebox';
import { described, ERROR_SCHEMA, errorAnswer } from '@wail/runtime';

/** Re-exported for the route modules: one helper for every service's documents. */
export { described };

/**
 * The request schemas validate (Fastify compiles them with Ajv) and, like
 * every other piece here, document: the OpenAPI document is generated from
 * the route schemas (`openapi.ts`). Descriptions are annotations, so adding
 * one never changes what a request may be.
 */

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
const Json = Type.Unknown();

const Op = Type.Union([Type.Literal('upsert'), Type.Literal('delete')]);
const Key = Type.Record(Type.String(), Scalar, {
  maxProperties: 32,
  description: 'exactly the key columns of the route',
});
const Values = Type.Optional(
  Type.Record(Type.String(), Json, {
    maxProperties: 1024,
    description:
      'columns to set (upsert only); omitted columns are left as they are. Binary as base64, timestamps as ISO 8601.',
  }),
);
const TableName = Type.String({ minLength: 1, maxLength: 64 });

export const MutationBody = Type.Object(
  { op: Op, key: Key, values: Values },
  { additionalProperties: false },
);

export const BatchItem = Type.Object(
  { table: TableName, op: Op, key: Key, values: Values },
  { additionalProperties: false },
);

export const BatchBody = Type.Object(
  { mutations: Type.Array(BatchItem, { minItems: 1 }) },
  { additionalProperties: false },
);

export const TableParams = Type.Object({
  table: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'logical table name (its route)',
  }),
});

export type MutationBodyType = Static<typeof MutationBody>;
export type BatchBodyType = Static<typeof BatchBody>;

/** The error answer of `jsonErrors`, shared by WAIL's services (`@wail/runtime`). */
export { ERROR_SCHEMA, errorAnswer };

export const mutationResult = {
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

/** Every `/v1` route checks the bearer token when tokens are configured (`TableAuthorizer`). */
export const tableToken = [{ bearer: [] }];
