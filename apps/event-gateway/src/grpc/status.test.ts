import { status } from '@grpc/grpc-js';
import { ERROR_CODES, WailError } from '@wail/errors';
import { GRPC_STATUS, callStatusOf } from './status';

describe('callStatusOf', () => {
  it.each([
    ['UNAUTHORIZED', status.UNAUTHENTICATED],
    ['FORBIDDEN', status.PERMISSION_DENIED],
    ['NOT_FOUND', status.NOT_FOUND],
    ['BAD_REQUEST', status.INVALID_ARGUMENT],
    ['WRONG_DELIVERY', status.FAILED_PRECONDITION],
    ['REPOSITORY_UNAVAILABLE', status.UNAVAILABLE],
    ['SUBSCRIPTION_EXISTS', status.ALREADY_EXISTS],
    ['SUBSCRIPTION_LIMIT_REACHED', status.RESOURCE_EXHAUSTED],
    ['INTERNAL', status.INTERNAL],
  ] as const)('maps %s to gRPC status %i, the WAIL code leading the details', (code, expected) => {
    const answer = callStatusOf(new WailError(code, 'what happened'));
    expect(answer).toEqual({ code: expected, details: `${code}: what happened` });
  });

  it('gives every retriable code a status a client retries (UNAVAILABLE)', () => {
    for (const code of ERROR_CODES)
      if (new WailError(code, 'x').retriable) expect(GRPC_STATUS[code]).toBe(status.UNAVAILABLE);
  });

  it('never answers OK, UNKNOWN, CANCELLED or ABORTED for a WAIL error', () => {
    // ABORTED and CANCELLED are kept for a stream another Subscribe took over, or one the gateway ends.
    for (const code of ERROR_CODES)
      expect([status.OK, status.UNKNOWN, status.CANCELLED, status.ABORTED]).not.toContain(
        GRPC_STATUS[code],
      );
  });

  it('shows any other error as INTERNAL without its message', () => {
    const answer = callStatusOf(new Error('connect ECONNREFUSED 10.1.2.3:9092 password=hunter2'));
    expect(answer.code).toBe(status.INTERNAL);
    expect(answer.details).not.toContain('10.1.2.3');
    expect(answer.details.startsWith('INTERNAL: ')).toBe(true);
  });
});
