import type { TableRoute } from '@wail/contracts';
import type { RouteCache } from '@wail/control-plane';
import type { KafkaClient } from '@wail/kafka';
import type { Logger } from '@wail/telemetry';
import { DrainAnnouncer, type DrainAnnouncerDeps } from './drain-announcer';
import { DrainReader } from './drain-reader';
import { DrainLedger } from './moves';

export interface MoveCoordinatorDeps {
  /** The cluster this consumer reads, its client there, its group and its id. */
  cluster: string;
  kafka: KafkaClient;
  group: string;
  consumerId: string;
  routes: Pick<RouteCache, 'all'>;
  ownsTable(table: string): boolean;
  /** The intent topics this member consumes now. */
  subscribed(): readonly string[];
  owned: DrainAnnouncerDeps['owned'];
  inPlaceWork: DrainAnnouncerDeps['inPlaceWork'];
  announce: DrainAnnouncerDeps['announce'];
  /** Held keys are placed again (a move drained, routes changed, time passed). */
  reconsider(): void;
  /** A drain topic became eligible: the subscription should be updated. */
  resubscribe(): void;
  logger: Logger;
}

/**
 * This consumer's part in moves (moves.ts, docs/reshaping.md):
 * - on the new location's side, reads this cluster's drain topic into the
 *   ledger (started once a table of its set moves to this cluster, restarted
 *   if it never gets its partition);
 * - on the old location's side, drains a moving table's old topic only if
 *   this group consumed it — it is subscribed to it already, or its group has
 *   committed offsets there — so a group started for the new location on the
 *   same cluster never announces a drain it did not do;
 * - every second: announces drained partitions, places held keys again.
 */
export class MoveCoordinator {
  readonly ledger = new DrainLedger();
  private readonly announcer: DrainAnnouncer;
  private readonly reader: DrainReader;
  private readonly eligible = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastFailureLog = 0;

  constructor(private readonly deps: MoveCoordinatorDeps) {
    this.announcer = new DrainAnnouncer({ ...deps, kafka: deps.kafka });
    this.reader = new DrainReader(
      deps.kafka,
      `${deps.group}.drains.${deps.consumerId}`,
      this.ledger,
      {
        logger: deps.logger.child({ component: 'drains' }),
        completed: () => deps.reconsider(),
      },
    );
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reader.stop();
  }

  /** Routes changed. */
  onRoutes(all: ReadonlyMap<string, TableRoute>): void {
    this.ledger.keep(all.values());
    this.ensureReader();
    this.deps.reconsider();
  }

  /** The old topics on this cluster this group drains: moving tables of its set it consumed. */
  drainTopics(owned: readonly TableRoute[]): string[] {
    return this.candidates(owned).filter((topic) => this.eligible.has(topic));
  }

  async tick(): Promise<void> {
    this.deps.reconsider();
    try {
      this.ensureReader();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not start the drain topic reader; will retry');
    }
    try {
      if (await this.checkEligibility()) this.deps.resubscribe();
      await this.announcer.tick();
    } catch (error) {
      // Once a minute at warn: a cluster without brokers here keeps a table held.
      const now = Date.now();
      const level = now - this.lastFailureLog > 60_000 ? 'warn' : 'debug';
      if (level === 'warn') this.lastFailureLog = now;
      this.deps.logger[level](
        { err: error },
        'drain announcement failed; will retry (a moving table stays held at its new location until it succeeds)',
      );
    }
  }

  private owned(): TableRoute[] {
    return [...this.deps.routes.all().values()].filter((route) => this.deps.ownsTable(route.table));
  }

  private candidates(owned: readonly TableRoute[]): string[] {
    const topics = new Set<string>();
    for (const route of owned)
      if (route.drainFrom?.intentCluster === this.deps.cluster)
        topics.add(route.drainFrom.intentTopic);
    return [...topics];
  }

  /** True when a topic became eligible. */
  private async checkEligibility(): Promise<boolean> {
    const pending = this.candidates(this.owned()).filter((topic) => !this.eligible.has(topic));
    if (pending.length === 0) return false;
    const subscribed = new Set(this.deps.subscribed());
    let changed = false;
    for (const topic of pending) {
      let consumed = subscribed.has(topic);
      if (!consumed) {
        const committed = (await this.deps.kafka.committedOffsets(this.deps.group, [topic])).get(
          topic,
        );
        consumed = [...(committed?.values() ?? [])].some((offset) => offset >= 0n);
      }
      if (consumed) {
        this.eligible.add(topic);
        changed = true;
      }
    }
    // Forget topics no move names any more.
    const live = new Set(this.candidates(this.owned()));
    for (const topic of this.eligible) if (!live.has(topic)) this.eligible.delete(topic);
    return changed;
  }

  private ensureReader(): void {
    const movingHere = this.owned().some(
      (route) => route.drainFrom && route.intentCluster === this.deps.cluster,
    );
    if (movingHere) this.reader.ensureRunning();
  }
}
