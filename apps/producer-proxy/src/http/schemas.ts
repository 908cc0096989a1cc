import { Type, type Static } from '@sinclair/typebox';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
const Json = Type.Unknown();

export const MutationBody = Type.Object(
  {
    op: Type.Union([Type.Literal('upsert'), Type.Literal('delete')]),
    key: Type.Record(Type.String(), Scalar, { maxProperties: 32 }),
    values: Type.Optional(Type.Record(Type.String(), Json, { maxProperties: 1024 })),
  },
  { additionalProperties: false },
);

export const BatchItem = Type.Object(
  {
    table: Type.String({ minLength: 1, maxLength: 64 }),
    op: Type.Union([Type.Literal('upsert'), Type.Literal('delete')]),
    key: Type.Record(Type.String(), Scalar, { maxProperties: 32 }),
    values: Type.Optional(Type.Record(Type.String(), Json, { maxProperties: 1024 })),
  },
  { additionalProperties: false },
);

export const BatchBody = Type.Object(
  { mutations: Type.Array(BatchItem, { minItems: 1 }) },
  { additionalProperties: false },
);

export const TableParams = Type.Object({ table: Type.String({ minLength: 1, maxLength: 64 }) });

export type MutationBodyType = Static<typeof MutationBody>;
export type BatchBodyType = Static<typeof BatchBody>;
