import { Type, type Static } from '@sinclair/typebox';
import { described, ERROR_SCHEMA, errorAnswer } from '@wail/runtime';
import { MAX_CURSOR_LENGTH } from '../delivery/cursor';
import { DELIVERY_STYLES, SUBSCRIPTION_BOUNDS } from '../subscriptions/subscription';

export { described };

export const SubscriptionBody = Type.Object(
  {
    name: Type.String({
      pattern: SUBSCRIPTION_BOUNDS.name,
      description: 'unique; letters, digits, ".", "_" and "-", at most 100',
    }),
    tables: Type.Array(Type.String({ pattern: SUBSCRIPTION_BOUNDS.table }), {
      minItems: 1,
      maxItems: SUBSCRIPTION_BOUNDS.maxTables,
      uniqueItems: true,
      description: 'logical tables (each must have a route)',
    }),
    start: Type.Union([Type.Literal('earliest'), Type.Literal('latest')], {
      default: 'latest',
      description:
        'earliest: every change the event topics still hold; latest: changes from now on',
    }),
    delivery: Type.Union(
      DELIVERY_STYLES.map((style) => Type.Literal(style)),
      { description: 'sse (GET …/events), webhook (POSTs to webhook.url) or grpc (Subscribe)' },
    ),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            minLength: 1,
            maxLength: SUBSCRIPTION_BOUNDS.maxUrlLength,
            description: 'http(s) URL that receives POSTed batches',
          }),
          secret: Type.String({
            ...SUBSCRIPTION_BOUNDS.secret,
            description: 'HMAC-SHA256 key of X-Wail-Signature; never shown again',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SubscriptionBodyType = Static<typeof SubscriptionBody>;

export const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'the subscription id (sub_…)' }),
});
export type IdParamsType = Static<typeof IdParams>;

export const AckBody = Type.Object(
  {
    cursor: Type.String({
      minLength: 1,
      maxLength: MAX_CURSOR_LENGTH,
      description: 'the `id:` of the last change processed',
    }),
  },
  { additionalProperties: false },
);
export type AckBodyType = Static<typeof AckBody>;

export const EventsQuery = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_CURSOR_LENGTH,
        description: 'resume after this cursor (as the Last-Event-ID header does)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EventsQueryType = Static<typeof EventsQuery>;

export { ERROR_SCHEMA, errorAnswer };

export const subscriptionView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    tables: { type: 'array', items: { type: 'string' } },
    start: { enum: ['earliest', 'latest'] },
    delivery: { enum: [...DELIVERY_STYLES] },
    webhook: { type: 'object', properties: { url: { type: 'string' } } },
    createdAt: { type: 'string', format: 'date-time' },
    lag: {
      type: 'object',
      properties: {
        records: { type: 'integer', description: 'event records past the acknowledged cursor' },
        streaming: { type: 'boolean', description: 'a stream is being delivered now' },
      },
    },
    deadLetters: { type: 'integer', description: 'webhook changes dead-lettered' },
  },
};

export const changeSchema = {
  type: 'object',
  properties: {
    table: { type: 'string' },
    key: { type: 'object' },
    op: { enum: ['UPSERT', 'DELETE'] },
    version: { type: 'integer', description: "the row's wail_ts, microseconds" },
    modelVersion: { type: 'integer' },
    after: { type: 'object', nullable: true, description: 'the row; null for a delete' },
  },
};

/** Admin routes take the admin token; subscriber routes the subscription's own token (or the admin's). */
export const adminToken: Record<string, string[]>[] = [{ admin: [] }];
export const subscriberToken: Record<string, string[]>[] = [{ subscription: [] }, { admin: [] }];
