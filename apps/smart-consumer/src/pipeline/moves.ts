import {
  sameLocation,
  type DrainSource,
  type IntentLocation,
  type TableRoute,
} from '@wail/contracts';

/**
 * Moving a table to another intent topic or cluster (docs/reshaping.md).
 *
 * While a route has `drainFrom`, the consumers of the old location forward
 * every intent of the table they read to the new one and, once no intent of
 * the table is being processed in place on a partition and the group has
 * committed past the last one, announce that partition drained: a marker on
 * the drain topic of the new cluster. The consumers of the new location hold
 * the table's intents until every partition of the old location is
 * announced; then the two never process one key at once, so per-key order
 * holds across the move.
 */

/** The compacted topic, on each cluster, where drained partitions are announced. */
export const DRAIN_TOPIC = 'wail.drains';

export interface DrainMarker {
  table: string;
  /** The route revision that started the move (`drainFrom.revision`). */
  revision: number;
  from: IntentLocation;
  /** The drained partition of the old topic, and how many it has. */
  partition: number;
  partitions: number;
}

const MAX_PARTITIONS = 100_000;

/** Keyed by move and partition: compaction keeps the last marker of each. */
export function encodeMarker(marker: DrainMarker): { key: Buffer; value: Buffer } {
  const { table, revision, from, partition } = marker;
  return {
    key: Buffer.from([table, revision, from.intentCluster, from.intentTopic, partition].join('|')),
    value: Buffer.from(JSON.stringify(marker)),
  };
}

/** A marker, or undefined for bytes that are not one (they are ignored). */
export function decodeMarker(value: Buffer | null): DrainMarker | undefined {
  if (!value || value.length > 4096) return undefined;
  try {
    const m = JSON.parse(value.toString('utf8')) as Partial<DrainMarker>;
    const ok =
      typeof m.table === 'string' &&
      Number.isSafeInteger(m.revision) &&
      typeof m.from?.intentCluster === 'string' &&
      typeof m.from.intentTopic === 'string' &&
      Number.isSafeInteger(m.partitions) &&
      m.partitions! > 0 &&
      m.partitions! <= MAX_PARTITIONS &&
      Number.isSafeInteger(m.partition) &&
      m.partition! >= 0 &&
      m.partition! < m.partitions!;
    return ok ? (m as DrainMarker) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The drained partitions announced so far, per move (table, revision, old
 * location). Bounded: moves the current routes no longer have are forgotten
 * (`keep`), and at most `maxMoves` are remembered (the oldest goes first).
 */
export class DrainLedger {
  private readonly moves = new Map<string, { partitions: number; drained: Set<number> }>();

  constructor(private readonly maxMoves = 10_000) {}

  /** True when the marker completed a move. */
  add(marker: DrainMarker): boolean {
    const id = moveId(marker.table, { ...marker.from, revision: marker.revision });
    let move = this.moves.get(id);
    if (!move) {
      // Full: the oldest move goes (a live one is announced again by its next markers' reader restart).
      if (this.moves.size >= this.maxMoves) this.moves.delete(this.moves.keys().next().value!);
      move = { partitions: marker.partitions, drained: new Set() };
      this.moves.set(id, move);
    }
    // The old topic gained partitions since some were announced: they still count.
    move.partitions = Math.max(move.partitions, marker.partitions);
    const before = move.drained.size;
    move.drained.add(marker.partition);
    return before < move.partitions && move.drained.size === move.partitions;
  }

  drained(table: string, source: DrainSource): boolean {
    const move = this.moves.get(moveId(table, source));
    return move !== undefined && move.drained.size === move.partitions;
  }

  /** Forgets the moves no route has in progress any more. */
  keep(routes: Iterable<TableRoute>): void {
    const live = new Set<string>();
    for (const route of routes) if (route.drainFrom) live.add(moveId(route.table, route.drainFrom));
    for (const id of this.moves.keys()) if (!live.has(id)) this.moves.delete(id);
  }
}

/**
 * A move: its table, the revision that started it and where it drains from
 * (the drain topic may hold markers of other deployments sharing the cluster).
 */
function moveId(table: string, source: DrainSource): string {
  return [table, source.revision, source.intentCluster, source.intentTopic].join('\u0000');
}

export type Placement = 'process' | 'forward' | 'hold';

/** Which route placed an intent, and what this consumer knows of routes. */
export interface Placed {
  /** The revision of the route the proxy used (header), if the record names one. */
  by: number | undefined;
  /** The revision of this consumer's route listing (every change up to it is known). */
  known: number;
  /** Waited long enough for the listing to catch up: place the intent by the route known. */
  waitedOut: boolean;
}

/**
 * What to do with an intent of `route`'s table read at `here`.
 * - `hold`: this consumer's routes are older than the proxy's that placed it
 *   (wait for them, at most the grace period), or the table is moving here and
 *   its old location has not drained yet;
 * - `forward`: the table logs elsewhere now — the intent goes there;
 * - `process`: as usual.
 */
export function placement(
  route: TableRoute,
  here: IntentLocation,
  placed: Placed,
  drained: (table: string, source: DrainSource) => boolean,
): Placement {
  if (!placed.waitedOut && placed.by !== undefined && placed.by > placed.known) return 'hold';
  if (!sameLocation(route, here)) return 'forward';
  if (route.drainFrom && !drained(route.table, route.drainFrom)) return 'hold';
  return 'process';
}

/** The route revision a record's header names, if it names one. */
export function placedBy(
  headers: Record<string, Buffer | string | undefined> | undefined,
  name: string,
): number | undefined {
  const raw = headers?.[name];
  if (raw === undefined) return undefined;
  const text = raw.toString();
  if (!/^[0-9]{1,15}$/.test(text)) return undefined;
  return Number(text);
}
