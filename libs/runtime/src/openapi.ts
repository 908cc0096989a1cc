import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';

/** A JSON schema that documents an answer: `schema` with its description. */
export function described(
  description: string,
  schema: Record<string, unknown> = {},
): Record<string, unknown> {
  return { description, ...schema };
}

/** The error answer of `jsonErrors` (`{"error":{"code","message"}}`), a component referenced by `$id`. */
export const ERROR_SCHEMA = {
  $id: 'Error',
  description: 'an error',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};

/** An answer schema referring to `ERROR_SCHEMA` (add it with `app.addSchema`). */
export const errorAnswer = { $ref: 'Error#' };

/** `@fastify/swagger`'s `refResolver` for WAIL's services: components keep their `$id` as their name. */
export const openApiRefResolver = {
  buildLocalReference: (
    json: Record<string, unknown>,
    _baseUri: unknown,
    _fragment: unknown,
    i: number,
  ) => String(json['$id'] ?? `def-${i}`),
};

/** `GET /openapi.json`, the document `@fastify/swagger` generates (register swagger first). */
export function serveOpenApi(app: FastifyInstance): void {
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'this document',
        response: { 200: described('OpenAPI 3', { type: 'object' }) },
      },
    },
    async () => app.swagger(),
  );
}
