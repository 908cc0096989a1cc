import { timingSafeEqual } from 'node:crypto';
import type { RepositoryTokens } from '../config';

/**
 * Who may call a route, set per route as `config.access`:
 *
 * - `public`: anyone — the schema-by-id reads every Confluent deserializer
 *   makes, and static answers (`/`, `/schemas/types`);
 * - `read` (the default of every route that says nothing): the read or the
 *   write token, once a read token is configured — routes, models, subjects,
 *   versions, lookups, config and mode;
 * - `check`: the read or the write token as soon as either is configured —
 *   compatibility tests, which cost CPU and so never stay open once the
 *   repository has a token;
 * - `write`: the write token, once one is configured; the read token is
 *   refused with 403.
 */
export type Access = 'public' | 'read' | 'check' | 'write';

export type AccessDecision = 'allowed' | 'unauthorized' | 'forbidden';

export function decideAccess(
  access: Access,
  authorization: string | undefined,
  tokens: RepositoryTokens,
): AccessDecision {
  if (access === 'public') return 'allowed';
  const presented = bearer(authorization);
  const isWrite = tokens.write !== undefined && matches(presented, tokens.write);
  const isRead = tokens.read !== undefined && matches(presented, tokens.read);
  switch (access) {
    case 'write':
      if (tokens.write === undefined || isWrite) return 'allowed';
      return isRead ? 'forbidden' : 'unauthorized';
    case 'read':
      return tokens.read === undefined || isRead || isWrite ? 'allowed' : 'unauthorized';
    case 'check':
      return (tokens.read === undefined && tokens.write === undefined) || isRead || isWrite
        ? 'allowed'
        : 'unauthorized';
  }
}

function bearer(header: string | undefined): Buffer | undefined {
  const [, presented] = /^Bearer\s+(.+)$/i.exec(header ?? '') ?? [];
  return presented === undefined ? undefined : Buffer.from(presented.trim());
}

function matches(presented: Buffer | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
