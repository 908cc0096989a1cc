import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Defaults } from '@wail/config';
import { demoSubscription, setUpDemo, walkthrough } from './demo';
import { repoRoot, runService, waitReady, type ServiceSpec } from './services';

/**
 * `npm start`: the local stack, then the four services with prefixed logs.
 * Ctrl-C stops the services cleanly; the stack keeps running for the next
 * start (`npm run stack -- down` stops it).
 */
const say = (line: string) => process.stdout.write(`${line}\n`);

const env = process.env;
const host = '127.0.0.1';
const ports = {
  repository: Number(env['WAIL_REPOSITORY_PORT'] ?? 8081),
  proxy: Number(env['WAIL_PROXY_PORT'] ?? 8080),
  consumer: Number(env['WAIL_CONSUMER_PORT'] ?? 8082),
  gateway: Number(env['WAIL_GATEWAY_PORT'] ?? 8083),
};

// Claim checks through the stack's s3proxy, unless another object store is named
// (set here, not in the environment: a set WAIL_S3_ENDPOINT makes the stack leave s3proxy alone).
const claimChecks = { WAIL_S3_ENDPOINT: env['WAIL_S3_ENDPOINT'] ?? Defaults.s3Endpoint };

const specs: ServiceSpec[] = [
  {
    label: 'repository',
    entry: 'apps/schema-repository/src/main.ts',
    readyUrl: `http://${host}:${ports.repository}/readyz`,
  },
  {
    label: 'proxy',
    entry: 'apps/producer-proxy/src/main.ts',
    readyUrl: `http://${host}:${ports.proxy}/readyz`,
  },
  {
    label: 'consumer',
    entry: 'apps/smart-consumer/src/main.ts',
    readyUrl: `http://${host}:${ports.consumer}/readyz`,
    env: claimChecks,
  },
  {
    label: 'gateway',
    entry: 'apps/event-gateway/src/main.ts',
    readyUrl: `http://${host}:${ports.gateway}/readyz`,
    env: claimChecks,
  },
];

async function main(): Promise<number> {
  const stack = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'infra/local/src/cli.ts'), 'up'],
    {
      cwd: repoRoot,
      stdio: 'inherit',
    },
  );
  if (stack.status !== 0) return stack.status ?? 1;

  const width = Math.max(...specs.map((spec) => spec.label.length));
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    say('stopping services…');
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const exited = (child: ChildProcess) =>
    new Promise<number>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code ?? 1));
    });

  try {
    // All four start together: proxy and consumer keep retrying the repository until it answers.
    const started = specs.map((spec, index) => ({ spec, child: runService(spec, index, width) }));
    children.push(...started.map(({ child }) => child));
    for (const { spec, child } of started) await waitReady(spec.readyUrl, child, 60_000);
  } catch (error) {
    say(`start failed: ${(error as Error).message}`);
    stop();
    await Promise.all(children.map(exited));
    return 1;
  }

  let follow = '';
  try {
    await setUpDemo(env, `http://${host}:${ports.repository}`, say);
    follow = await demoSubscription(`http://${host}:${ports.gateway}`);
  } catch (error) {
    say(`demo set-up failed: ${(error as Error).message}`);
  }
  say('');
  say(
    `WAIL is up — schema repository http://${host}:${ports.repository}, producer proxy http://${host}:${ports.proxy}, consumer health http://${host}:${ports.consumer}/readyz, event gateway http://${host}:${ports.gateway}`,
  );
  say(walkthrough(`http://${host}:${ports.proxy}`));
  if (follow) say(`Every change of the four tables, live (SSE, no Kafka client):\n\n  ${follow}\n`);
  say('Ctrl-C stops the services; `npm run stack -- down` stops Kafka and Cassandra.');
  say('');

  const codes = await Promise.all(children.map(exited));
  if (!stopping) stop();
  return stopping && codes.every((code) => code === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`start: ${(error as Error).message}`);
    process.exit(1);
  },
);
