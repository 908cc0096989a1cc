import {
  ConfigResourceTypes,
  Kafka,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import { kafkajsLevel, pinoLogCreator } from './log-creator';
import { javaCompatiblePartitioner } from './partitioner';

/** How to reach a secured cluster: TLS, SASL, or both (SASL_SSL). */
export interface KafkaSecurity {
  /** TLS, verifying the brokers' certificates against `ca` (PEM) or else Node's trusted CAs. */
  tls?: { ca?: readonly string[] | undefined } | undefined;
  sasl?:
    | {
        mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
        username: string;
        password: string;
      }
    | undefined;
}

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Plaintext without it. */
  security?: KafkaSecurity | undefined;
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  config?: Record<string, string>;
}

/** A consumer-group member as the group's coordinator describes it. */
export interface GroupMember {
  memberId: string;
  /** The member's Kafka client id. */
  clientId: string;
  /** Its address as the broker saw it (`/10.0.0.5`). */
  clientHost: string;
}

/** The part of kafkajs' private Cluster this client uses. */
interface PrivateCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<{
    leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
  }>;
}

/**
 * WAIL's only door to kafkajs (2.2.4, unmaintained): apps and other libs use
 * this client and the producer/consumer types of this library, so swapping the
 * Kafka client later touches one folder.
 */
export class KafkaClient {
  private readonly kafka: Kafka;
  private adminClient: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;

  constructor(private readonly options: KafkaClientOptions) {
    const { tls, sasl } = options.security ?? {};
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      ...(tls ? { ssl: { rejectUnauthorized: true, ...(tls.ca ? { ca: [...tls.ca] } : {}) } } : {}),
      // kafkajs types each mechanism apart; the shape is the same for all three.
      ...(sasl ? { sasl: { ...sasl } as SASLOptions } : {}),
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      logLevel: kafkajsLevel(options.logger),
      logCreator: pinoLogCreator(options.logger.child({ component: 'kafkajs' })),
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  }

  get clientId(): string {
    return this.options.clientId;
  }

  /**
   * For this library's producers and consumers only: kafkajs types stay inside libs/kafka.
   * Every producer partitions with our linear murmur2 (kafkajs's is quadratic in the key length).
   */
  createProducer(config: ProducerConfig): Producer {
    return this.kafka.producer({ createPartitioner: javaCompatiblePartitioner(), ...config });
  }

  createConsumer(config: ConsumerConfig): Consumer {
    return this.kafka.consumer(config);
  }

  /** Committed offsets of a group (the next offset it will read), by topic and partition. */
  async committedOffsets(
    groupId: string,
    topics: readonly string[],
  ): Promise<Map<string, Map<number, bigint>>> {
    const admin = await this.admin();
    const result = await admin.fetchOffsets({ groupId, topics: [...topics] });
    return new Map(
      result.map(({ topic, partitions }) => [
        topic,
        new Map(partitions.map((p) => [p.partition, BigInt(p.offset)])),
      ]),
    );
  }

  /** The low and high watermarks (first offset kept, end offset) of every partition of a topic. */
  async watermarks(topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
    const admin = await this.admin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  }

  /** The high watermark (end offset) of every partition of a topic. */
  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const admin = await this.admin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  /** The low watermark (first offset still kept) of every partition of a topic. */
  async startOffsets(topic: string): Promise<Map<number, bigint>> {
    const admin = await this.admin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  }

  /** Deletes consumer groups that have no members; unknown groups are ignored. */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const admin = await this.admin();
    await admin.deleteGroups([...groupIds]).catch((error: unknown) => {
      const code = (error as { groups?: { errorCode?: number }[] }).groups?.find(
        (group) => group.errorCode !== 0 && group.errorCode !== 69,
      );
      if (code) throw error;
    });
  }

  /** Resolves when a broker answers a metadata request. Used by readiness probes. */
  async ping(): Promise<void> {
    const admin = await this.admin();
    try {
      await admin.describeCluster();
    } catch (error) {
      // A broken connection is not reused: the next probe reconnects from scratch.
      await this.resetAdmin();
      throw error;
    }
  }

  /** A topic's effective `max.message.bytes` (its own or the broker's default); undefined for an unknown topic. */
  async maxMessageBytes(topic: string): Promise<number | undefined> {
    const admin = await this.admin();
    const result = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] },
      ],
    });
    const value = result.resources[0]?.configEntries.find(
      (entry) => entry.configName === 'max.message.bytes',
    )?.configValue;
    return value === undefined ? undefined : Number(value);
  }

  /** The members of a consumer group as its coordinator knows them; none for an unknown group. */
  async groupMembers(groupId: string): Promise<GroupMember[]> {
    const admin = await this.admin();
    const { groups } = await admin.describeGroups([groupId]);
    return (groups[0]?.members ?? []).map(({ memberId, clientId, clientHost }) => ({
      memberId,
      clientId,
      clientHost,
    }));
  }

  /**
   * Takes members out of a group now (LeaveGroup on their behalf), so the
   * group rebalances without waiting out their session. Only for members known
   * to be dead: a live one removed this way works on until its next heartbeat
   * while the group moves its partitions, as after a session expiry, then
   * rejoins as a new member. Members already gone are skipped. kafkajs has no
   * public call for it: this uses its private cluster, as its own consumers do.
   */
  async removeGroupMembers(groupId: string, memberIds: readonly string[]): Promise<void> {
    if (memberIds.length === 0) return;
    const cluster = this.privateCluster();
    try {
      await cluster.connect();
      // As kafkajs' own ConsumerGroup does: the coordinator lookup needs the brokers' metadata.
      await cluster.refreshMetadata();
      const coordinator = await cluster.findGroupCoordinator({ groupId });
      for (const memberId of memberIds) {
        await coordinator.leaveGroup({ groupId, memberId }).catch((error: unknown) => {
          if ((error as { type?: string }).type !== 'UNKNOWN_MEMBER_ID') throw error;
        });
      }
    } finally {
      await cluster.disconnect().catch(() => undefined);
    }
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin()).listTopics();
  }

  /** Creates missing topics and waits for their leaders; existing topics are left as they are. */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions ?? 3,
        replicationFactor: spec.replicationFactor ?? -1,
        configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  }

  async close(): Promise<void> {
    await this.resetAdmin();
  }

  /** kafkajs' own cluster object (`Kafka[private:Kafka:createCluster]`), for requests it has no public call for. */
  private privateCluster(): PrivateCluster {
    const key = Object.getOwnPropertySymbols(this.kafka).find(
      (symbol) => symbol.description === 'private:Kafka:createCluster',
    );
    const create = key && (this.kafka as unknown as Record<symbol, unknown>)[key];
    if (typeof create !== 'function') throw new Error('kafkajs has no private createCluster');
    return (create as (options: object) => PrivateCluster)({});
  }

  private async admin(): Promise<Admin> {
    if (this.adminClient) return this.adminClient;
    if (!this.adminConnecting) {
      const admin = this.kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
      this.adminConnecting = admin.connect().then(
        () => {
          this.adminClient = admin;
          this.adminConnecting = undefined;
          return admin;
        },
        (error: unknown) => {
          this.adminConnecting = undefined;
          throw error;
        },
      );
    }
    return this.adminConnecting;
  }

  private async resetAdmin(): Promise<void> {
    const admin = this.adminClient;
    this.adminClient = undefined;
    if (admin) await admin.disconnect().catch(() => undefined);
  }
}
