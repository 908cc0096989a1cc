import { parseArgs } from 'node:util';
import { Type } from '@sinclair/typebox';
import {
  Defaults,
  KafkaSecurityEnv,
  S3Env,
  kafkaSecurity,
  loadEnv,
  s3Settings,
  splitList,
} from '@wail/config';
import { ClaimStore } from '@wail/object-store';
import { applyDefinitions, readDefinitions } from '@wail/control-plane';
import { backfillCommand } from './backfill/command';
import { dlq } from './dlq';
import { gateway } from './gateway';
import { tail } from './tail';

const usage = `usage: npm run wail -- <command> [options]

commands:
  apply <file|folder>...      apply table definitions (route + data model) to the schema repository
  tail <topic>... [--new]     print records as JSON lines (Avro decoded through the repository,
                              claim checks resolved); from the beginning unless --new
  dlq list [--code C]         dead letters as JSON lines (reason, origin, decoded intent)
  dlq inspect --id T/P/O      one dead letter in full
  dlq redrive --id T/P/O | --code C | --all
                              send dead letters back to their intent topics (after fixing the cause)
  gateway list                the event gateway's subscriptions with their lag, as JSON lines
  gateway dead-letters <id>   a webhook subscription's dead letters
  gateway redrive <id>        post them to the webhook again
  backfill <table> [--where "col op value"]... [--rate N] [--chunk N] [--resume] [--force]
                              re-publish the current state of the table's rows: refresh intents
                              in key order, throttled to N/s, checkpointed in the repository
  backfill status [table]     the backfill checkpoints as JSON lines

environment: WAIL_REPOSITORY_URL (${Defaults.repositoryUrl}), WAIL_KAFKA_BROKERS (${Defaults.kafkaBrokers}),
             WAIL_REPOSITORY_WRITE_TOKEN (apply, backfill; WAIL_REPOSITORY_TOKEN is its former name),
             WAIL_REPOSITORY_READ_TOKEN, WAIL_KAFKA_CLUSTERS, WAIL_STORES and the stores' variables (backfill),
             WAIL_DLQ_TOPIC (${Defaults.deadLetterTopic}),
             WAIL_GATEWAY_URL (http://127.0.0.1:8083), WAIL_GATEWAY_ADMIN_TOKEN,
             WAIL_S3_ENDPOINT and WAIL_S3_* (tail: claim-checked rows are fetched from the object store)`;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      new: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
      code: { type: 'string' },
      id: { type: 'string' },
      all: { type: 'boolean', default: false },
      where: { type: 'string', multiple: true, default: [] },
      rate: { type: 'string' },
      chunk: { type: 'string' },
      resume: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  const repositoryUrl = process.env['WAIL_REPOSITORY_URL'] ?? Defaults.repositoryUrl;
  const brokers = splitList(process.env['WAIL_KAFKA_BROKERS'] ?? Defaults.kafkaBrokers);
  // TLS and SASL as the services take them (WAIL_KAFKA_TLS*, WAIL_KAFKA_SASL_*).
  const security = kafkaSecurity(loadEnv(Type.Object(KafkaSecurityEnv), process.env));
  if (values.help || command === undefined) {
    say(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  switch (command) {
    case 'apply':
      if (rest.length === 0) throw new Error('apply needs at least one file or folder');
      await applyDefinitions(
        repositoryUrl,
        readDefinitions(rest),
        process.env['WAIL_REPOSITORY_WRITE_TOKEN'] ?? process.env['WAIL_REPOSITORY_TOKEN'],
        say,
      );
      return 0;
    case 'tail': {
      if (rest.length === 0) throw new Error('tail needs at least one topic');
      const s3 = s3Settings(loadEnv(Type.Object(S3Env), process.env));
      const claims = s3 ? new ClaimStore(s3) : undefined;
      const stop = await tail({
        brokers,
        security,
        repositoryUrl,
        topics: rest,
        fromBeginning: !values.new,
        claims,
        say,
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await stop();
      claims?.close();
      return 0;
    }
    case 'dlq':
      return dlq(
        rest[0] ?? 'list',
        { code: values.code, id: values.id, all: values.all },
        {
          brokers,
          security,
          topic: process.env['WAIL_DLQ_TOPIC'] ?? Defaults.deadLetterTopic,
          say,
        },
      );
    case 'gateway':
      return gateway(rest[0] ?? 'list', rest[1], {
        url: process.env['WAIL_GATEWAY_URL'] ?? 'http://127.0.0.1:8083',
        token: process.env['WAIL_GATEWAY_ADMIN_TOKEN'],
        say,
      });
    case 'backfill':
      return backfillCommand(
        rest,
        {
          where: values.where,
          rate: values.rate,
          chunk: values.chunk,
          resume: values.resume,
          force: values.force,
        },
        say,
      );
    default:
      say(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`wail: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
