import type { FastifyInstance } from 'fastify';
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
const setLevel = stringField('compatibility');

/** `/config`: compatibility levels, global and per subject. */
export async function configRoutes(
  app: FastifyInstance,
  { settings }: { settings: SubjectSettings },
): Promise<void> {
  app.get(
    '/config',
    {
      schema: {
        summary: 'global compatibility',
        response: { 200: described('{"compatibilityLevel": "BACKWARD"}', level) },
      },
    },
    async () => ({ compatibilityLevel: await settings.getCompatibility(undefined, true) }),
  );
  app.put(
    '/config',
    {
      config: { access: 'write' },
      schema: {
        summary: 'set global compatibility',
        body: setLevel,
        response: { 200: described('{"compatibility": "…"}', setLevel), 422: errorAnswer },
      },
    },
    async (request) => ({
      compatibility: await settings.setCompatibility(
        undefined,
        requiredString(request.body, 'compatibility'),
      ),
    }),
  );
  app.delete(
    '/config',
    {
      config: { access: 'write' },
      schema: {
        summary: 'reset global compatibility',
        response: { 200: described('the previous level', level) },
      },
    },
    async () => ({ compatibilityLevel: await settings.deleteCompatibility(undefined) }),
  );

  app.get<{ Params: SubjectParams; Querystring: Query }>(
    '/config/:subject',
    {
      schema: {
        summary: 'subject compatibility',
        params: ofSubject,
        querystring: queryParams({ defaultToGlobal: toggle('fall back to the global level') }),
        response: { 200: described('{"compatibilityLevel": "…"}', level), 404: errorAnswer },
      },
    },
    async (request) => ({
      compatibilityLevel: await settings.getCompatibility(
        request.params.subject,
        flag(request.query, 'defaultToGlobal'),
      ),
    }),
  );
  app.put<{ Params: SubjectParams }>(
    '/config/:subject',
    {
      config: { access: 'write' },
      schema: {
        summary: 'set subject compatibility',
        params: ofSubject,
        body: setLevel,
        response: { 200: described('{"compatibility": "…"}', setLevel), 422: errorAnswer },
      },
    },
    async (request) => ({
      compatibility: await settings.setCompatibility(
        request.params.subject,
        requiredString(request.body, 'compatibility'),
      ),
    }),
  );
  app.delete<{ Params: SubjectParams }>(
    '/config/:subject',
    {
      config: { access: 'write' },
      schema: {
        summary: 'remove subject compatibility',
        params: ofSubject,
        response: { 200: described('the previous level', level), 404: errorAnswer },
      },
    },
    async (request) => ({
      compatibilityLevel: await settings.deleteCompatibility(request.params.subject),
    }),
  );
}
