/**
 * The chaos checks, as a pure function of what was observed: the writes the
 * workload sent (and the answers it got), every intent, event, unmaterialized
 * record and dead letter on the topics, and the final rows of the databases.
 * Each check defends one promise of DESIGN.md; a violation names the key and
 * what was seen, so a red run can be debugged from its report alone.
 */

export type WriteOp = 'upsert' | 'partial' | 'delete';

/** Columns the workload writes besides the key; `req` is always the writing request's id. */
export type ItemValues = { a?: number | null; b?: string | null; req: string };

export interface SentWrite {
  /** The request id, also written to the row's `req` column. */
  id: string;
  table: string;
  key: string;
  op: WriteOp;
  values: ItemValues;
  /** Set when the proxy answered 2xx with `intentLogged: true`. */
  ackedTs?: bigint;
}

export interface ObservedEvent {
  table: string;
  key: string;
  partition: number;
  offset: bigint;
  op: 'UPSERT' | 'DELETE';
  version: bigint;
  after: Record<string, unknown> | null;
  /** The `wail.intent-id` header: the intent the event was published for. */
  intentId?: string;
}

export interface ObservedIntent {
  table: string;
  key: string;
  ts: bigint;
}

export interface FinalRow {
  table: string;
  key: string;
  version: bigint;
  row: Record<string, unknown>;
}

export interface Observations {
  writes: readonly SentWrite[];
  intents: readonly ObservedIntent[];
  events: readonly ObservedEvent[];
  unmaterialized: readonly ObservedIntent[];
  deadLetters: number;
  /** Present rows only; a key without a row is deleted (or never written). */
  finalRows: readonly FinalRow[];
  /** Exactly-once mode: a repeated (key, version) is a violation, not a tolerated duplicate. */
  exactlyOnce: boolean;
  /** What the hostile clients saw, when they ran. */
  hostile?: HostileObservations;
}

export interface HostileObservations {
  /** Requests that had to be refused and were answered 2xx. */
  accepted: readonly string[];
  /** Requests (hostile or well-formed) answered 5xx or timed out while no fault was injected. */
  calm5xx: readonly string[];
  /** Rows of the table routed by part of its primary key: seeded, and left at the end. */
  membersSeeded: number;
  membersLeft: number;
}

export const CHECKS = {
  lost: 'an acknowledged write has no event with version ≥ its ts',
  backwards: "a key's event versions went backwards",
  duplicate: 'the same (key, version) was published twice in exactly-once mode',
  'final-state': "a key's last event differs from its final database state",
  'state-mismatch': "an event's state does not match the write that made its version",
  phantom: 'an event has a version no materialized intent produced',
  'dead-letter': 'a healthy intent was dead-lettered',
  'hostile-accepted': 'a request that must be refused was accepted',
  'calm-5xx': 'a request was answered 5xx (or timed out) while only clients misbehaved',
  'mass-delete': 'a delete by part of a primary key removed rows',
} as const;

export type Check = keyof typeof CHECKS;

export interface Violation {
  check: Check;
  detail: string;
}

export interface Verdict {
  duplicates: number;
  violations: Violation[];
  counts: Record<Check, number>;
}

const COLUMNS = ['a', 'b', 'req'] as const;
const id = (table: string, key: string) => `${table}/${key}`;

function group<T extends { table: string; key: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = id(item.table, item.key);
    const list = groups.get(name);
    if (list) list.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}

const same = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);

export function verify(observed: Observations): Verdict {
  const violations: Violation[] = [];
  const flag = (check: Check, detail: string) => violations.push({ check, detail });

  // Events of one key in topic order (one key always lands on one partition).
  const events = group(
    [...observed.events].sort((x, y) =>
      x.partition !== y.partition
        ? x.partition - y.partition
        : x.offset < y.offset
          ? -1
          : x.offset > y.offset
            ? 1
            : 0,
    ),
  );
  const writes = group(observed.writes);
  const intentVersions = new Set(observed.intents.map((i) => `${id(i.table, i.key)}@${i.ts}`));
  const unmaterialized = new Set(
    observed.unmaterialized.map((i) => `${id(i.table, i.key)}@${i.ts}`),
  );

  // Per-key order and duplicates.
  let duplicates = 0;
  for (const [name, list] of events) {
    const seen = new Map<bigint, ObservedEvent>();
    for (let i = 0; i < list.length; i++) {
      const event = list[i]!;
      const previous = list[i - 1];
      if (previous && event.version < previous.version)
        flag(
          'backwards',
          `${name}: version ${event.version} at offset ${event.offset} after ${previous.version}`,
        );
      const first = seen.get(event.version);
      if (first) {
        duplicates++;
        if (observed.exactlyOnce)
          flag(
            'duplicate',
            `${name}: version ${event.version} at offsets ${first.offset} and ${event.offset} (intents ${first.intentId ?? '?'}, ${event.intentId ?? '?'})`,
          );
      }
      seen.set(event.version, event);
    }
  }

  // No acknowledged write lost.
  for (const [name, list] of writes) {
    const newest = (events.get(name) ?? []).reduce<bigint>(
      (max, e) => (e.version > max ? e.version : max),
      -1n,
    );
    for (const write of list) {
      if (write.ackedTs !== undefined && newest < write.ackedTs)
        flag(
          'lost',
          `${name}: ${write.op} ${write.id} acknowledged at ${write.ackedTs}, newest event ${newest < 0n ? 'none' : newest}`,
        );
    }
  }

  // Every event's state is the state its version's write produced.
  for (const [name, list] of events) {
    const byId = new Map((writes.get(name) ?? []).map((w) => [w.id, w]));
    const byTs = new Map(
      (writes.get(name) ?? []).flatMap((w) =>
        w.ackedTs === undefined ? [] : [[w.ackedTs, w] as const],
      ),
    );
    for (const event of list) {
      const where = `${name}@${event.version} (offset ${event.offset})`;
      if (!intentVersions.has(`${name}@${event.version}`))
        flag('phantom', `${where}: no intent has this ts`);
      if (unmaterialized.has(`${name}@${event.version}`))
        flag('phantom', `${where}: its intent was recorded unmaterialized`);
      const writer = byTs.get(event.version);
      if (writer) {
        if (writer.op === 'delete' && event.op !== 'DELETE')
          flag('state-mismatch', `${where}: ${event.op} for the delete ${writer.id}`);
        if (writer.op !== 'delete') {
          if (event.op !== 'UPSERT' || !event.after) {
            flag('state-mismatch', `${where}: ${event.op} for the upsert ${writer.id}`);
            continue;
          }
          for (const column of COLUMNS) {
            if (column in writer.values && !same(event.after[column], writer.values[column]))
              flag(
                'state-mismatch',
                `${where}: ${column}=${JSON.stringify(event.after[column])}, written ${JSON.stringify(writer.values[column])} by ${writer.id}`,
              );
          }
        }
      }
      if (event.op === 'UPSERT' && event.after) {
        const source = byId.get(String(event.after['req']));
        if (!source || source.op === 'delete')
          flag('state-mismatch', `${where}: req=${String(event.after['req'])} was never upserted`);
        else if (source.ackedTs !== undefined && source.ackedTs > event.version)
          flag(
            'state-mismatch',
            `${where}: shows ${source.id}, written later at ${source.ackedTs}`,
          );
      }
    }
  }

  // The last event of every key is the final database state.
  const finalRows = new Map(observed.finalRows.map((row) => [id(row.table, row.key), row]));
  for (const name of new Set([...events.keys(), ...finalRows.keys()])) {
    const last = events.get(name)?.at(-1);
    const row = finalRows.get(name);
    if (row) {
      if (!last || last.op !== 'UPSERT' || last.version !== row.version) {
        flag(
          'final-state',
          `${name}: row at ${row.version}, last event ${last ? `${last.op}@${last.version}` : 'none'}`,
        );
      } else {
        for (const column of COLUMNS)
          if (!same(last.after?.[column], row.row[column]))
            flag(
              'final-state',
              `${name}@${row.version}: ${column}=${JSON.stringify(last.after?.[column])}, row has ${JSON.stringify(row.row[column])}`,
            );
      }
    } else if (last && last.op !== 'DELETE') {
      flag('final-state', `${name}: no row, last event ${last.op}@${last.version}`);
    }
  }

  if (observed.deadLetters > 0)
    flag('dead-letter', `${observed.deadLetters} intents on the dead-letter topic`);

  const hostile = observed.hostile;
  if (hostile) {
    for (const request of hostile.accepted) flag('hostile-accepted', request);
    for (const request of hostile.calm5xx) flag('calm-5xx', request);
    if (hostile.membersLeft !== hostile.membersSeeded)
      flag(
        'mass-delete',
        `${hostile.membersSeeded - hostile.membersLeft} of ${hostile.membersSeeded} rows of one tenant removed`,
      );
  }

  const counts = Object.fromEntries(Object.keys(CHECKS).map((check) => [check, 0])) as Record<
    Check,
    number
  >;
  for (const violation of violations) counts[violation.check]++;
  return { duplicates, violations, counts };
}
