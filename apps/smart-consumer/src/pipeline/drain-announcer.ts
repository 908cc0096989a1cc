import type { TableRoute } from '@wail/contracts';
import type { RouteCache } from '@wail/control-plane';
import type { KafkaClient } from '@wail/kafka';
import type { Logger } from '@wail/telemetry';
import type { DrainMarker } from './moves';

export interface DrainAnnouncerDeps {
  /** The cluster this consumer reads, its client, and its group there. */
  cluster: string;
  kafka: Pick<KafkaClient, 'endOffsets' | 'committedOffsets'>;
  group: string;
  routes: Pick<RouteCache, 'all'>;
  ownsTable(table: string): boolean;
  /** The partitions this member owns now, by topic. */
  owned(): ReadonlyMap<string, ReadonlySet<number>>;
  /** What of a table is processed in place on a partition (IntentProcessor.inPlaceWork). */
  inPlaceWork(
    topic: string,
    partition: number,
    table: string,
  ): { active: boolean; lastOffset: bigint | undefined };
  announce(cluster: string, marker: DrainMarker): Promise<void>;
  logger: Logger;
}

/**
 * The old side of a move (moves.ts): for every route of this consumer's
 * tables that drains from a topic of its cluster, each partition of that
 * topic it owns is announced drained once nothing of the table is processed
 * there in place and the group has committed past the last intent that was.
 * Each (table, move, partition) is announced once per process; the drain
 * topic is compacted, so a late reader still sees it.
 */
export class DrainAnnouncer {
  private readonly sent = new Set<string>();
  private running = false;

  constructor(private readonly deps: DrainAnnouncerDeps) {}

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.announceDrained();
    } finally {
      this.running = false;
    }
  }

  private async announceDrained(): Promise<void> {
    const { deps } = this;
    const moving = [...deps.routes.all().values()].filter(
      (route): route is TableRoute & { drainFrom: NonNullable<TableRoute['drainFrom']> } =>
        !!route.drainFrom &&
        route.drainFrom.intentCluster === deps.cluster &&
        deps.ownsTable(route.table),
    );
    const live = new Set<string>();
    for (const topic of new Set(moving.map((route) => route.drainFrom.intentTopic))) {
      const owned = deps.owned().get(topic);
      if (!owned || owned.size === 0) continue;
      const partitions = (await deps.kafka.endOffsets(topic)).size;
      const committed = (await deps.kafka.committedOffsets(deps.group, [topic])).get(topic);
      for (const route of moving.filter((r) => r.drainFrom.intentTopic === topic)) {
        for (const partition of owned) {
          const id = `${route.table}\u0000${route.drainFrom.revision}\u0000${partition}`;
          live.add(id);
          if (this.sent.has(id)) continue;
          const work = deps.inPlaceWork(topic, partition, route.table);
          if (work.active) continue;
          const done = committed?.get(partition) ?? -1n;
          if (work.lastOffset !== undefined && done <= work.lastOffset) continue;
          await deps.announce(route.intentCluster, {
            table: route.table,
            revision: route.drainFrom.revision,
            from: { intentCluster: deps.cluster, intentTopic: topic },
            partition,
            partitions,
          });
          this.sent.add(id);
          deps.logger.info(
            { table: route.table, topic, partition, to: route.intentCluster },
            'partition drained of a moved table: announced',
          );
        }
      }
    }
    for (const id of this.sent) if (!live.has(id)) this.sent.delete(id);
  }
}
