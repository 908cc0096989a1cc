import { timingSafeEqual } from 'node:crypto';
import { WailError } from '@wail/errors';

/**
 * Optional API tokens with per-table permission: without a token map every
 * request is allowed; with one, a request needs `Authorization: Bearer <t>`
 * whose tables include the one it touches (or `*`).
 */
export class TableAuthorizer {
  private readonly entries: { token: Buffer; tables: ReadonlySet<string> }[];

  constructor(tokens: ReadonlyMap<string, ReadonlySet<string>> | undefined) {
    this.entries = [...(tokens ?? new Map<string, ReadonlySet<string>>())].map(
      ([token, tables]) => ({ token: Buffer.from(token), tables }),
    );
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  assert(header: string | undefined, tables: readonly string[]): void {
    if (!this.enabled) return;
    const [, presented] = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '') ?? [];
    if (presented === undefined) throw new WailError('UNAUTHORIZED', 'a bearer token is required');
    const given = Buffer.from(presented);
    const entry = this.entries.find(
      ({ token }) => token.length === given.length && timingSafeEqual(token, given),
    );
    if (!entry) throw new WailError('UNAUTHORIZED', 'unknown token');
    const denied = tables.filter((table) => !entry.tables.has('*') && !entry.tables.has(table));
    if (denied.length > 0)
      throw new WailError('FORBIDDEN', `this token may not use ${[...new Set(denied)].join(', ')}`);
  }
}
