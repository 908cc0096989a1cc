import { Type } from '@sinclair/typebox';
import { loadEnv } from '@wail/config';
import { RepositoryClient } from '@wail/control-plane';
import type { TableRoute } from '@wail/contracts';
import { GroupCommitLog, KafkaClient, type OutgoingRecord } from '@wail/kafka';
import { SCAN_PAGE_LIMIT } from '@wail/store';
import { silentLogger } from '@wail/telemetry';
import { DataPlaneEnv, dataPlaneSettings, openStores, repositoryModels } from '@wail/wiring';
import { CheckpointClient } from './checkpoints';
import { parseCondition } from './conditions';
import { progressReporter } from './progress';
import { backfill, Interrupted } from './run';

export interface BackfillArgs {
  where: string[];
  rate: string | undefined;
  chunk: string | undefined;
  resume: boolean;
  force: boolean;
}

function positiveNumber(name: string, text: string, max: number, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value)))
    throw new Error(
      `--${name} must be a${integer ? 'n integer' : ' number'} in 1..${max} (got "${text}")`,
    );
  return value;
}

/** `wail backfill <table> …` and `wail backfill status [table]`; returns the exit code. */
export async function backfillCommand(
  rest: string[],
  args: BackfillArgs,
  say: (line: string) => void,
): Promise<number> {
  const settings = dataPlaneSettings(loadEnv(Type.Object(DataPlaneEnv), process.env));
  const writeToken =
    process.env['WAIL_REPOSITORY_WRITE_TOKEN'] ?? process.env['WAIL_REPOSITORY_TOKEN'];
  const checkpoints = new CheckpointClient({
    url: settings.repository.url,
    ...(settings.repository.token ? { readToken: settings.repository.token } : {}),
    ...(writeToken ? { writeToken } : {}),
  });
  const [first, second] = rest;
  if (first === undefined) throw new Error('backfill needs a table (or "status")');
  if (first === 'status') {
    const all = await checkpoints.list();
    for (const checkpoint of all)
      if (second === undefined || checkpoint.table === second) say(JSON.stringify(checkpoint));
    if (second !== undefined && !all.some((checkpoint) => checkpoint.table === second)) {
      say(`no backfill of ${second}`);
      return 1;
    }
    return 0;
  }
  const table = first;
  const client = new RepositoryClient({
    baseUrl: settings.repository.url,
    ...(settings.repository.token ? { token: settings.repository.token } : {}),
  });
  let etag: string | undefined;
  let known: TableRoute | undefined;
  const route = async (): Promise<TableRoute> => {
    const listing = await client.routes(etag);
    if (listing) {
      etag = listing.etag;
      known = listing.routes.find((candidate) => candidate.table === table);
    }
    if (!known) throw new Error(`table ${table} has no route in ${settings.repository.url}`);
    return known;
  };
  const { store: kind } = await route();
  const stores = openStores(
    { ...settings.stores, stores: [kind] },
    { models: repositoryModels(client) },
  );
  const store = stores.get(kind)!;
  const logs = new Map<string, { kafka: KafkaClient; log: GroupCommitLog }>();
  const append = async (cluster: string, records: OutgoingRecord[]) => {
    let entry = logs.get(cluster);
    if (!entry) {
      const brokers = settings.kafka.clusters.get(cluster);
      if (!brokers)
        throw new Error(
          `the route logs intents to Kafka cluster "${cluster}", which WAIL_KAFKA_CLUSTERS does not name`,
        );
      const kafka = new KafkaClient({
        brokers,
        clientId: 'wail-backfill',
        logger: silentLogger(),
        security: settings.kafka.security,
      });
      entry = { kafka, log: new GroupCommitLog(kafka) };
      logs.set(cluster, entry);
    }
    await entry.log.append(records);
  };
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const done = await backfill(
      {
        table,
        where: args.where.map(parseCondition),
        ratePerSecond:
          args.rate === undefined ? undefined : positiveNumber('rate', args.rate, 1e9, false),
        chunkSize:
          args.chunk === undefined
            ? 1000
            : positiveNumber('chunk', args.chunk, SCAN_PAGE_LIMIT, true),
        resume: args.resume,
        force: args.force,
      },
      {
        route,
        store,
        append,
        checkpoints,
        signal: interrupt.signal,
        progress: (checkpoint) =>
          progressReporter(table, process.stderr, {
            startedAt: Date.now(),
            scannedAtStart: checkpoint.rowsScanned,
          }),
      },
    );
    say(JSON.stringify(done));
    return 0;
  } catch (error) {
    if (error instanceof Interrupted) {
      say(error.message);
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const { kafka, log } of logs.values()) {
      await log.close();
      await kafka.close();
    }
    await stores.close();
  }
}
