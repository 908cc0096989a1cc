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
const level = stringField('compatibilityLevel');
const newLevel = stringField('compatibility');

const getGlobal = {
  summary: 'global compatibility',
  response: { 200: described('{"compatibilityLevel": "BACKWARD"}', level) },
} satisfies FastifySchema;

const setGlobal = {
  summary: 'set global compatibility',
  body: newLevel,
  response: { 200: described('{"compatibility": "…"}', newLevel), 422: errorAnswer },
} satisfies FastifySchema;

const resetGlobal = {
  summary: 'reset global compatibility',
  response: { 200: described('the previous level', level) },
} satisfies FastifySchema;

const getOfSubject = {
  summary: 'subject compatibility',
  params: ofSubject,
  querystring: queryParams({ defaultToGlobal: toggle('fall back to the global level') }),
  response: { 200: described('{"compatibilityLevel": "…"}', level), 404: errorAnswer },
} satisfies FastifySchema;

const setOfSubject = {
  summary: 'set subject compatibility',
  params: ofSubject,
  body: newLevel,
  response: { 200: described('{"compatibility": "…"}', newLevel), 422: errorAnswer },
} satisfies FastifySchema;

const removeOfSubject = {
  summary: 'remove subject compatibility',
  params: ofSubject,
  response: { 200: described('the previous level', level), 404: errorAnswer },
} satisfies FastifySchema;

/** `/config`: compatibility levels, global and per subject. */
export async function configRoutes(
  app: FastifyInstance,
  { settings }: { settings: SubjectSettings },
): Promise<void> {
  const write = { access: 'write' } as const;

  app.get('/config', { schema: getGlobal }, async () => ({
    compatibilityLevel: await settings.getCompatibility(undefined, true),
  }));
  app.put('/config', { config: write, schema: setGlobal }, async (request) => ({
    compatibility: await settings.setCompatibility(
      undefined,
      requiredString(request.body, 'compatibility'),
    ),
  }));
  app.delete('/config', { config: write, schema: resetGlobal }, async () => ({
    compatibilityLevel: await settings.deleteCompatibility(undefined),
  }));

  app.get<{ Params: SubjectParams; Querystring: Query }>(
    '/config/:subject',
    { schema: getOfSubject },
    async (request) => ({
      compatibilityLevel: await settings.getCompatibility(
        request.params.subject,
        flag(request.query, 'defaultToGlobal'),
      ),
    }),
  );
  app.put<{ Params: SubjectParams }>(
    '/config/:subject',
    { config: write, schema: setOfSubject },
    async (request) => ({
      compatibility: await settings.setCompatibility(
        request.params.subject,
        requiredString(request.body, 'compatibility'),
      ),
    }),
  );
  app.delete<{ Params: SubjectParams }>(
    '/config/:subject',
    { config: write, schema: removeOfSubject },
    async (request) => ({
      compatibilityLevel: await settings.deleteCompatibility(request.params.subject),
    }),
  );
}
