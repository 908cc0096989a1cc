import type { FastifyInstance, FastifySchema } from 'fastify';
import {
  BackfillCheckpointBody,
  StoredBackfillCheckpoint,
} from '../../control-plane/backfill-checkpoint';
import type { ControlPlane } from '../../control-plane/control-plane';
import { flag, type Query } from '../request-values';
import { described, errorAnswer, pathParams, queryParams, table, toggle } from '../route-schemas';

interface TableParams {
  table: string;
}

const ofTable = pathParams({ table });
const checkpoint = BackfillCheckpointBody;
const stored = StoredBackfillCheckpoint;

const listBackfills = {
  summary: 'every backfill checkpoint (wail backfill status)',
  response: {
    200: described('{"backfills": [...]}, by table', {
      type: 'object',
      properties: {
        backfills: {
          type: 'array',
          items: {
            ...stored,
            required: [...(stored.required ?? []), 'table'],
            properties: { ...stored.properties, table: { type: 'string' } },
          },
        },
      },
    }),
  },
} satisfies FastifySchema;

const getBackfill = {
  summary: "a table's backfill checkpoint",
  params: ofTable,
  response: { 200: described('the checkpoint', stored), 404: errorAnswer },
} satisfies FastifySchema;

const putBackfill = {
  summary: "store a backfill run's checkpoint",
  description:
    "One backfill per table: another run's checkpoint still running and written less than 30 s ago is 409 40944 unless force=true; a stale or finished one is taken over. The table needs a route (404 40441).",
  params: ofTable,
  querystring: queryParams({ force: toggle('take over a run that may still be running') }),
  body: checkpoint,
  response: {
    200: described('the stored checkpoint', stored),
    404: errorAnswer,
    409: errorAnswer,
    422: errorAnswer,
  },
} satisfies FastifySchema;

const deleteBackfill = {
  summary: "forget a table's backfill checkpoint",
  params: ofTable,
  response: { 200: described('the removed checkpoint', stored), 404: errorAnswer },
} satisfies FastifySchema;

/** `/v1/backfills`: checkpoints of `wail backfill` runs, so a killed run resumes where it stopped. */
export async function backfillRoutes(
  app: FastifyInstance,
  { controlPlane }: { controlPlane: ControlPlane },
): Promise<void> {
  app.get('/v1/backfills', { schema: listBackfills }, async () => ({
    backfills: await controlPlane.listBackfills(),
  }));
  app.get<{ Params: TableParams }>(
    '/v1/backfills/:table',
    { schema: getBackfill },
    async (request) => controlPlane.getBackfill(request.params.table),
  );
  app.put<{ Params: TableParams }>(
    '/v1/backfills/:table',
    { config: { access: 'write' }, schema: putBackfill },
    async (request) =>
      controlPlane.putBackfill(
        request.params.table,
        request.body,
        flag(request.query as Query, 'force'),
      ),
  );
  app.delete<{ Params: TableParams }>(
    '/v1/backfills/:table',
    { config: { access: 'write' }, schema: deleteBackfill },
    async (request) => controlPlane.deleteBackfill(request.params.table),
  );
}
