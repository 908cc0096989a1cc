import type { ServiceProcess } from '@wail/testing';

/**
 * Clients that misbehave beside the workload: unknown tables, oversized keys
 * and rows, values of the wrong type, a delete by part of a primary key,
 * malformed, deep and oversized bodies. None of their writes is tracked (they
 * must be refused, or — rows too large for an event — end on the dead-letter
 * topic of their own table); what is checked is that each refusal is a 4xx,
 * that nothing that must be refused is accepted, and that nobody — these
 * clients or the well-formed workload — gets a 5xx while no fault is injected.
 */
export const HOSTILE_TABLES = {
  /** MySQL, VARCHAR key: oversized keys. */
  h_keys: { store: 'mysql', physicalTable: 'h_keys' },
  /** Cassandra: rows too large for one event. */
  h_rows: { store: 'cassandra', physicalTable: 'h_rows' },
  /** MySQL, PRIMARY KEY (tenant, id), routed by `tenant` alone before the table existed. */
  h_members: { store: 'mysql', physicalTable: 'h_members' },
} as const;
export type HostileTable = keyof typeof HOSTILE_TABLES;

/** Rows of h_members tenant 1, seeded before the run: a delete by tenant must leave them all. */
export const SEEDED_MEMBERS = 5;

export type HostileKind =
  | 'unknown-table'
  | 'oversized-key'
  | 'big-row'
  | 'bad-value'
  | 'partial-key-delete'
  | 'malformed-json'
  | 'deep-json'
  | 'oversized-batch';

/** What must never be accepted. `big-row` may be (its event is then dead-lettered as too large). */
const MUST_REFUSE: ReadonlySet<HostileKind> = new Set([
  'unknown-table',
  'oversized-key',
  'bad-value',
  'partial-key-delete',
  'malformed-json',
  'deep-json',
  'oversized-batch',
]);

export interface HostileStats {
  sent: number;
  /** `<kind> <status>` → count. */
  answers: Map<string, number>;
  /** Requests that had to be refused and were answered 2xx. */
  accepted: string[];
  /** 5xx answers (or timeouts) to these clients while no fault was injected. */
  calm5xx: string[];
}

export interface HostileOptions {
  writers: number;
  random: () => number;
  proxies: () => ServiceProcess[];
  requestTimeoutMs: number;
  /** Whether no fault has been injected yet (then a 5xx is a finding). */
  calm: () => boolean;
}

export class HostileClients {
  readonly stats: HostileStats = { sent: 0, answers: new Map(), accepted: [], calm5xx: [] };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: HostileOptions) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.writers }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.options.random() * list.length)]!;
  }

  private request(kind: HostileKind): { path: string; body: string } {
    const random = this.options.random;
    const n = Math.floor(random() * 1_000_000);
    const single = (table: string, mutation: unknown) => ({
      path: `/v1/tables/${table}/mutations`,
      body: JSON.stringify(mutation),
    });
    switch (kind) {
      case 'unknown-table':
        return single(`nope_${n.toString(36)}`, { op: 'upsert', key: { id: n }, values: {} });
      case 'oversized-key':
        return single('h_keys', {
          op: 'upsert',
          key: { id: 'k'.repeat(100_000 + Math.floor(random() * 600_000)) },
          values: { note: 'x' },
        });
      case 'big-row':
        return single('h_rows', {
          op: 'upsert',
          key: { id: `big-${n % 50}` },
          values: { b: 'r'.repeat(600_000 + Math.floor(random() * 300_000)) },
        });
      case 'bad-value':
        return single('m_items', {
          op: 'upsert',
          key: { id: 1 + (n % 1000) },
          values: { a: `not a number ${n}` },
        });
      case 'partial-key-delete':
        return single('h_members', { op: 'delete', key: { tenant: 1 } });
      case 'malformed-json':
        return { path: '/v1/tables/m_items/mutations', body: '{"op":"upsert","key":{"id":' };
      case 'deep-json':
        return {
          path: '/v1/tables/m_items/mutations',
          body: `{"op":"upsert","key":{"id":1},"values":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
        };
      case 'oversized-batch':
        return {
          path: '/v1/mutations',
          body: JSON.stringify({
            mutations: Array.from({ length: 10_000 }, (_, i) => ({
              table: 'm_items',
              op: 'delete',
              key: { id: i + 1 },
            })),
          }),
        };
    }
  }

  private async loop(): Promise<void> {
    const kinds: HostileKind[] = [
      'unknown-table',
      'unknown-table',
      'oversized-key',
      'bad-value',
      'bad-value',
      'partial-key-delete',
      'malformed-json',
      'deep-json',
      'oversized-batch',
      'big-row',
    ];
    while (this.running) {
      const proxies = this.options.proxies();
      if (proxies.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const kind = this.pick(kinds);
      const { path, body } = this.request(kind);
      const calm = this.options.calm();
      this.stats.sent++;
      let outcome: string;
      try {
        const response = await fetch(`${this.pick(proxies).url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        await response.arrayBuffer();
        outcome = String(response.status);
        if (response.ok && MUST_REFUSE.has(kind))
          this.stats.accepted.push(`${kind} answered ${response.status}`);
      } catch (error) {
        outcome = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      }
      if (calm && this.options.calm() && (outcome.startsWith('5') || outcome === 'timeout'))
        this.stats.calm5xx.push(`${kind} answered ${outcome}`);
      const label = `${kind} ${outcome}`;
      this.stats.answers.set(label, (this.stats.answers.get(label) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 20 + this.options.random() * 80));
    }
  }
}
