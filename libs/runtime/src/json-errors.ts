import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { WailError, type ErrorCode } from '@wail/errors';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
};

/** Maps any thrown value to WAIL's `{error:{code,message}}` body and an honest status. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof WailError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details) body.error.details = error.details;
    return { status: error.statusCode, body };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return {
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: fastifyError.message ?? 'invalid request' } },
    };
  }
  const mapped = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (mapped) {
    const wail = new WailError(mapped, fastifyError.message ?? mapped);
    return { status: wail.statusCode, body: { error: { code: mapped, message: wail.message } } };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      body: { error: { code: 'BAD_REQUEST', message: fastifyError.message ?? 'bad request' } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
}

async function jsonErrors(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorBody(error);
    // An unavailable dependency is an expected answer (503): one line, no stack.
    if (status === 503)
      request.log.warn({ code: body.error.code, error: body.error.message }, 'request failed');
    else if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` },
    } satisfies ErrorBody),
  );
}

export default fp(jsonErrors, { name: 'wail-json-errors', fastify: '5.x' });
