import { DEFAULT_CLUSTER, ROUTE_REVISION_HEADER, type TableRoute } from '@wail/contracts';
import { WailError } from '@wail/errors';
import {
  GroupCommitLog,
  KafkaClient,
  isKafkaError,
  type IncomingRecord,
  type KafkaSecurity,
  type OutgoingRecord,
} from '@wail/kafka';
import type { Logger } from '@wail/telemetry';
import { DRAIN_TOPIC, encodeMarker, type DrainMarker } from './moves';

/**
 * Producers to the named Kafka clusters, opened on first use: outputs of the
 * at-least-once mode, each to the cluster of its topic, and what moving a
 * table needs of the clusters this consumer does not read (forwarded intents,
 * drain markers). Idempotent producers with acks=all; an append is
 * acknowledged or fails (at-least-once: a forwarded intent may be appended
 * twice, which reads the row once more and publishes nothing older).
 */
export class ClusterProducers {
  private readonly open = new Map<string, { kafka: KafkaClient; log: GroupCommitLog }>();
  private readonly ensured = new Set<string>();

  constructor(
    private readonly clusters: ReadonlyMap<string, readonly string[]>,
    private readonly clientId: string,
    private readonly logger: Logger,
    /** The cluster of an output topic (events, unmaterialized records, dead letters). */
    private readonly clusterOf: (topic: string) => string = () => DEFAULT_CLUSTER,
    /** Clients the service already has, by cluster: used, not opened again, not closed here. */
    private readonly borrowed: ReadonlyMap<string, KafkaClient> = new Map(),
    /** TLS and SASL of the clusters it opens. */
    private readonly security?: KafkaSecurity,
  ) {}

  /** The at-least-once publisher of outputs: each record to the cluster of its topic, one request per cluster. */
  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    const byCluster = new Map<string, OutgoingRecord[]>();
    for (const record of records) {
      const cluster = this.clusterOf(record.topic);
      const batch = byCluster.get(cluster);
      if (batch) batch.push(record);
      else byCluster.set(cluster, [record]);
    }
    await Promise.all(
      [...byCluster].map(([cluster, batch]) => this.cluster(cluster).log.append(batch)),
    );
  }

  /** The client of a named cluster (CLUSTER_NOT_CONFIGURED when it has no brokers here). */
  client(name: string): KafkaClient {
    return this.cluster(name).kafka;
  }

  /** Appends an intent record, unchanged, to its route's intent topic and cluster. */
  async forward(route: TableRoute, record: IncomingRecord): Promise<void> {
    const { kafka, log } = this.cluster(route.intentCluster);
    await this.ensure(route.intentCluster, kafka, route.intentTopic);
    await log
      .append([
        {
          topic: route.intentTopic,
          key: record.key,
          value: record.value,
          // Placed by the route it was forwarded by: a reader whose routes are
          // older waits for them instead of sending it back.
          headers: { ...record.headers, [ROUTE_REVISION_HEADER]: String(route.revision) },
        },
      ])
      .catch((error: unknown) => {
        throw forwardFailure(error);
      });
  }

  /** Announces a drained partition on the drain topic of the cluster the table moved to. */
  async announce(cluster: string, marker: DrainMarker): Promise<void> {
    const { kafka, log } = this.cluster(cluster);
    await this.ensure(cluster, kafka, DRAIN_TOPIC, { 'cleanup.policy': 'compact' }, 1);
    await log.append([{ topic: DRAIN_TOPIC, ...encodeMarker(marker) }]);
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.open].flatMap(([name, { kafka, log }]) =>
        this.borrowed.has(name) ? [log.close()] : [log.close(), kafka.close()],
      ),
    );
  }

  private cluster(name: string): { kafka: KafkaClient; log: GroupCommitLog } {
    let open = this.open.get(name);
    if (open) return open;
    const brokers = this.clusters.get(name);
    if (!brokers)
      throw new WailError(
        'CLUSTER_NOT_CONFIGURED',
        `the route logs intents to Kafka cluster "${name}", which this consumer has no brokers for (WAIL_KAFKA_CLUSTERS names ${[...this.clusters.keys()].join(', ')})`,
      );
    const kafka =
      this.borrowed.get(name) ??
      new KafkaClient({
        brokers: [...brokers],
        clientId: this.clientId,
        logger: this.logger.child({ cluster: name }),
        security: this.security,
      });
    open = {
      kafka,
      log: new GroupCommitLog(kafka, { appendTimeoutMs: 10_000, maxQueued: 100_000 }),
    };
    this.open.set(name, open);
    return open;
  }

  private async ensure(
    cluster: string,
    kafka: KafkaClient,
    topic: string,
    config?: Record<string, string>,
    partitions?: number,
  ): Promise<void> {
    const id = `${cluster}\u0000${topic}`;
    if (this.ensured.has(id)) return;
    await kafka.ensureTopics([
      { topic, ...(config ? { config } : {}), ...(partitions ? { partitions } : {}) },
    ]);
    this.ensured.add(id);
  }
}

/** A record the new topic refuses for its size can never be forwarded: dead-lettered, not retried. */
function forwardFailure(error: unknown): unknown {
  if (!isKafkaError(error)) return error;
  return new WailError(
    error.failure === 'too-large' ? 'PAYLOAD_TOO_LARGE' : 'OUTPUT_UNAVAILABLE',
    error.message,
    { cause: error },
  );
}
