import { WailError } from '@wail/errors';
import { isKafkaError, type GroupCommitLog, type OutgoingRecord } from '@wail/kafka';

/** An intent record and the Kafka cluster (by its `WAIL_KAFKA_CLUSTERS` name) it goes to. */
export interface IntentRecord {
  cluster: string;
  record: OutgoingRecord;
}

/** What the proxy needs of its intent log: appends whose failures carry the proxy's codes. */
export interface IntentAppender {
  /** One promise per record; a rejection is a WailError (see `intentLogFailure`). */
  appendEach(records: readonly IntentRecord[]): Promise<void>[];
}

export interface IntentLogOptions {
  /** Observes each acknowledged append: seconds from `appendEach` until Kafka acknowledged the record. */
  appendSeconds?: { observe(seconds: number): void };
  /** Milliseconds, monotonic (default: performance.now). */
  now?: () => number;
}

/**
 * The intent log of the proxy: a group-commit log of `libs/kafka` per Kafka
 * cluster, its Kafka failures named in the proxy's terms (docs/errors.md): a
 * record Kafka refuses for its size is the client's `PAYLOAD_TOO_LARGE`
 * (never retried, never backlogged); a cluster this proxy has no brokers for
 * is `CLUSTER_NOT_CONFIGURED` (never backlogged either); anything else is
 * `INTENT_LOG_UNAVAILABLE`. Each cluster's records go in one request.
 */
export class IntentLog implements IntentAppender {
  private readonly now: () => number;

  constructor(
    private readonly logs: ReadonlyMap<string, Pick<GroupCommitLog, 'appendEach'>>,
    private readonly options: IntentLogOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  appendEach(records: readonly IntentRecord[]): Promise<void>[] {
    const started = this.now();
    const acknowledged = this.options.appendSeconds
      ? (): void => this.options.appendSeconds!.observe((this.now() - started) / 1000)
      : undefined;
    const outcomes: Promise<void>[] = new Array(records.length);
    const byCluster = new Map<string, number[]>();
    records.forEach(({ cluster }, i) => {
      const positions = byCluster.get(cluster);
      if (positions) positions.push(i);
      else byCluster.set(cluster, [i]);
    });
    for (const [cluster, positions] of byCluster) {
      const log = this.logs.get(cluster);
      if (!log) {
        const error = new WailError(
          'CLUSTER_NOT_CONFIGURED',
          `the route logs intents to Kafka cluster "${cluster}", which this service has no brokers for (WAIL_KAFKA_CLUSTERS names ${[...this.logs.keys()].join(', ')})`,
        );
        for (const i of positions) outcomes[i] = Promise.reject(error);
        continue;
      }
      const appended = log.appendEach(positions.map((i) => records[i]!.record));
      positions.forEach((i, n) => {
        outcomes[i] = appended[n]!.then(acknowledged, (error: unknown) => {
          throw intentLogFailure(error);
        });
      });
    }
    return outcomes;
  }
}

export function intentLogFailure(error: unknown): unknown {
  if (!isKafkaError(error)) return error;
  return new WailError(
    error.failure === 'too-large' ? 'PAYLOAD_TOO_LARGE' : 'INTENT_LOG_UNAVAILABLE',
    error.message,
    { cause: error },
  );
}
