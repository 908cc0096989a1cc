import type { FastifyInstance, FastifySchema } from 'fastify';
import type { SubjectSettings } from '../../registry/subject-settings';
import { flag, requiredString, type Query } from '../request-values';
import {
  described,
  errorAnswer,
  pathParams,
  queryParams,
  stringField,
  subject,
  toggle,
} from '../route-schemas';

interface SubjectParams {
  subject: string;
}

const ofSubject = pathParams({ subject });
const mode = stringField('mode');

const getGlobal = {
  summary: 'global mode',
  response: { 200: described('{"mode": "READWRITE"}', mode) },
} satisfies FastifySchema;

const setGlobal = {
  summary: 'set global mode',
  querystring: queryParams({ force: toggle('allow IMPORT with existing subjects') }),
  body: mode,
  response: { 200: described('{"mode": "…"}', mode), 422: errorAnswer },
} satisfies FastifySchema;

const getOfSubject = {
  summary: 'subject mode',
  params: ofSubject,
  querystring: queryParams({ defaultToGlobal: toggle() }),
  response: { 200: described('{"mode": "…"}', mode), 404: errorAnswer },
} satisfies FastifySchema;

const setOfSubject = {
  summary: 'set subject mode',
  params: ofSubject,
  querystring: queryParams({ force: toggle() }),
  body: mode,
  response: { 200: described('{"mode": "…"}', mode), 422: errorAnswer },
} satisfies FastifySchema;

const removeOfSubject = {
  summary: 'remove subject mode',
  params: ofSubject,
  response: { 200: described('the previous mode', mode), 404: errorAnswer },
} satisfies FastifySchema;

/** `/mode`: modes (READWRITE, READONLY, READONLY_OVERRIDE, IMPORT), global and per subject. */
export async function modeRoutes(
  app: FastifyInstance,
  { settings }: { settings: SubjectSettings },
): Promise<void> {
  const write = { access: 'write' } as const;

  app.get('/mode', { schema: getGlobal }, async () => ({
    mode: await settings.getMode(undefined, true),
  }));
  app.put<{ Querystring: Query }>(
    '/mode',
    { config: write, schema: setGlobal },
    async (request) => ({
      mode: await settings.setMode(
        undefined,
        requiredString(request.body, 'mode'),
        flag(request.query, 'force'),
      ),
    }),
  );

  app.get<{ Params: SubjectParams; Querystring: Query }>(
    '/mode/:subject',
    { schema: getOfSubject },
    async (request) => ({
      mode: await settings.getMode(request.params.subject, flag(request.query, 'defaultToGlobal')),
    }),
  );
  app.put<{ Params: SubjectParams; Querystring: Query }>(
    '/mode/:subject',
    { config: write, schema: setOfSubject },
    async (request) => ({
      mode: await settings.setMode(
        request.params.subject,
        requiredString(request.body, 'mode'),
        flag(request.query, 'force'),
      ),
    }),
  );
  app.delete<{ Params: SubjectParams }>(
    '/mode/:subject',
    { config: write, schema: removeOfSubject },
    async (request) => ({ mode: await settings.deleteMode(request.params.subject) }),
  );
}
