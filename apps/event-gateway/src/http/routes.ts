import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import { WailError } from '@wail/errors';
import { decodeCursor } from '../delivery/cursor';
import { webhookUrlProblem } from '../delivery/webhook';
import type { Gateway } from '../gateway';
import { view, type Subscription } from '../subscriptions/subscription';
import type { GatewayAuth } from './auth';
import { serveEvents } from './sse';
import {
  AckBody,
  adminToken,
  changeSchema,
  described,
  errorAnswer,
  EventsQuery,
  IdParams,
  subscriberToken,
  SubscriptionBody,
  subscriptionView,
  type AckBodyType,
  type EventsQueryType,
  type IdParamsType,
  type SubscriptionBodyType,
} from './schemas';

export interface GatewayRouteOptions {
  gateway: Gateway;
  auth: GatewayAuth;
  heartbeatMs: number;
}

const create = {
  summary: 'create a subscription; the answer carries its token, shown only this once',
  security: adminToken,
  body: SubscriptionBody,
  response: {
    201: described('created', {
      type: 'object',
      properties: {
        ...subscriptionView.properties,
        token: { type: 'string', description: "the subscription's bearer token" },
      },
    }),
    400: errorAnswer,
    401: errorAnswer,
    404: described('a table has no route (UNKNOWN_TABLE)', errorAnswer),
    409: described('the name is taken (SUBSCRIPTION_EXISTS)', errorAnswer),
    429: described('too many subscriptions (SUBSCRIPTION_LIMIT_REACHED)', errorAnswer),
    503: errorAnswer,
  },
} satisfies FastifySchema;

const list = {
  summary: 'every subscription, with its lag',
  security: adminToken,
  response: {
    200: described('subscriptions', {
      type: 'object',
      properties: { subscriptions: { type: 'array', items: subscriptionView } },
    }),
    401: errorAnswer,
    503: errorAnswer,
  },
} satisfies FastifySchema;

const getOne = {
  summary: 'one subscription, with its lag',
  security: subscriberToken,
  params: IdParams,
  response: { 200: described('the subscription', subscriptionView), 401: errorAnswer },
} satisfies FastifySchema;

const remove = {
  summary: 'delete a subscription, its cursor and its dead letters',
  security: adminToken,
  params: IdParams,
  response: { 204: described('deleted'), 401: errorAnswer, 404: errorAnswer },
} satisfies FastifySchema;

const events = {
  summary:
    'the subscription as Server-Sent Events (event: change; id: the cursor; data: the change as JSON); resume with Last-Event-ID',
  security: subscriberToken,
  params: IdParams,
  querystring: EventsQuery,
  produces: ['text/event-stream'],
  response: {
    200: described('an endless text/event-stream; each data: line is a change', changeSchema),
    400: described('the Last-Event-ID or cursor is not a cursor', errorAnswer),
    401: errorAnswer,
    409: described('not an SSE subscription (WRONG_DELIVERY)', errorAnswer),
  },
} satisfies FastifySchema;

const ack = {
  summary: 'acknowledge every change up to a cursor: the subscription resumes after it',
  security: subscriberToken,
  params: IdParams,
  body: AckBody,
  response: {
    204: described('acknowledged'),
    400: errorAnswer,
    401: errorAnswer,
    503: errorAnswer,
  },
} satisfies FastifySchema;

const deadLetters = {
  summary: "a webhook subscription's dead letters, oldest first",
  security: subscriberToken,
  params: IdParams,
  response: {
    200: described('dead letters', {
      type: 'object',
      properties: {
        deadLetters: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              sequence: { type: 'integer' },
              change: changeSchema,
              cursor: { type: 'string' },
              attempts: { type: 'integer' },
              error: { type: 'string' },
              at: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    }),
    401: errorAnswer,
  },
} satisfies FastifySchema;

const redrive = {
  summary: 'post the dead letters to the webhook again, oldest first; each batch taken is removed',
  security: adminToken,
  params: IdParams,
  response: {
    200: described('what was redelivered and what is left', {
      type: 'object',
      properties: { redelivered: { type: 'integer' }, remaining: { type: 'integer' } },
    }),
    401: errorAnswer,
    404: errorAnswer,
    409: described('not a webhook subscription (WRONG_DELIVERY)', errorAnswer),
  },
} satisfies FastifySchema;

export async function gatewayRoutes(
  app: FastifyInstance,
  { gateway, auth, heartbeatMs }: GatewayRouteOptions,
): Promise<void> {
  /** The subscription of a subscriber route, once its token (or the admin's) is checked. */
  const subscriberOf = (request: FastifyRequest<{ Params: IdParamsType }>): Subscription => {
    const subscription = gateway.get(request.params.id);
    auth.assertSubscriber(request.headers.authorization, subscription);
    if (!subscription) throw new WailError('NOT_FOUND', `no subscription ${request.params.id}`);
    return subscription;
  };

  const withLag = async (
    subscription: Subscription,
    ends: Map<string, Promise<Map<number, bigint>>>,
  ) => ({
    ...view(subscription),
    lag: await gateway.lag(subscription, ends).catch(() => undefined),
    deadLetters:
      subscription.delivery === 'webhook' ? gateway.deadLetters(subscription.id).length : 0,
  });

  app.post<{ Body: SubscriptionBodyType }>(
    '/v1/subscriptions',
    { schema: create },
    async (request, reply) => {
      auth.assertAdmin(request.headers.authorization);
      const body = request.body;
      if (body.delivery === 'webhook') {
        if (!body.webhook)
          throw new WailError(
            'BAD_REQUEST',
            'a webhook subscription needs webhook.url and webhook.secret',
          );
        const problem = webhookUrlProblem(body.webhook.url);
        if (problem) throw new WailError('BAD_REQUEST', `webhook.url ${problem}`);
      } else if (body.webhook) {
        throw new WailError('BAD_REQUEST', `an ${body.delivery} subscription takes no webhook`);
      }
      const { subscription, token } = await gateway.create({
        name: body.name,
        tables: body.tables,
        start: body.start,
        delivery: body.delivery,
        ...(body.webhook ? { webhook: body.webhook } : {}),
      });
      return reply.code(201).send({ ...subscription, token });
    },
  );

  app.get('/v1/subscriptions', { schema: list }, async (request) => {
    auth.assertAdmin(request.headers.authorization);
    const ends = new Map<string, Promise<Map<number, bigint>>>();
    return {
      subscriptions: await Promise.all(gateway.list().map((s) => withLag(s, ends))),
    };
  });

  app.get<{ Params: IdParamsType }>('/v1/subscriptions/:id', { schema: getOne }, async (request) =>
    withLag(subscriberOf(request), new Map()),
  );

  app.delete<{ Params: IdParamsType }>(
    '/v1/subscriptions/:id',
    { schema: remove },
    async (request, reply) => {
      auth.assertAdmin(request.headers.authorization);
      await gateway.delete(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: IdParamsType; Querystring: EventsQueryType }>(
    '/v1/subscriptions/:id/events',
    { schema: events },
    async (request, reply) => {
      const subscription = subscriberOf(request);
      if (subscription.delivery !== 'sse')
        throw new WailError(
          'WRONG_DELIVERY',
          `subscription ${subscription.id} is delivered by ${subscription.delivery}, not SSE`,
        );
      const header = request.headers['last-event-id'];
      const resume = (Array.isArray(header) ? header[0] : header) ?? request.query.cursor;
      const resumeFrom = resume ? decodeCursor(resume) : undefined;
      await serveEvents(gateway, subscription.id, resumeFrom, request, reply, heartbeatMs);
    },
  );

  app.post<{ Params: IdParamsType; Body: AckBodyType }>(
    '/v1/subscriptions/:id/ack',
    { schema: ack },
    async (request, reply) => {
      subscriberOf(request);
      await gateway.ack(request.params.id, request.body.cursor);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: IdParamsType }>(
    '/v1/subscriptions/:id/dead-letters',
    { schema: deadLetters },
    async (request) => {
      subscriberOf(request);
      return {
        deadLetters: gateway
          .deadLetters(request.params.id)
          .map(({ subscription: _, ...letter }) => letter),
      };
    },
  );

  app.post<{ Params: IdParamsType }>(
    '/v1/subscriptions/:id/dead-letters/redrive',
    { schema: redrive },
    async (request) => {
      auth.assertAdmin(request.headers.authorization);
      return gateway.redrive(request.params.id);
    },
  );
}
