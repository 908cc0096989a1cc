import { spawn } from 'node:child_process';
import { stackHome } from './paths';
import { Stack, type ServiceState } from './stack';

const usage = `usage: npm run stack -- <command> [service...]

commands:
  up [service...]       start and wait for cassandra, kafka, mysql, postgres, redis, s3proxy
                        (idempotent); kafka-hot and the *-secure servers only when named
  down [service...]     stop what the stack started (the on-demand servers too)
  restart [service...]  down, then up (no names: the services up starts)
  status                show each service and whether it answers
  logs [service...]     last 100 lines of each log; -f to follow

services: cassandra, cassandra-secure (client TLS and passwords, 127.0.0.1:9242), kafka,
kafka-hot (a second broker, 127.0.0.1:9192), kafka-secure (SASL_SSL only, 127.0.0.1:9292),
mysql, mysql-secure (TLS only, 127.0.0.1:3406), postgres, redis, s3proxy (the object store
of claim checks, 127.0.0.1:9300); the secured ones present certificates made into .wail/tls
and accept user wail, password wail-stack-secret
environment: WAIL_KAFKA_BROKERS, WAIL_KAFKA_HOT_BROKERS, WAIL_KAFKA_SECURE_BROKERS,
WAIL_MYSQL_SECURE_URL, WAIL_CASSANDRA_SECURE_CONTACT_POINTS, WAIL_CASSANDRA_CONTACT_POINTS,
WAIL_MYSQL_URL, WAIL_POSTGRES_URL, WAIL_REDIS_URL, WAIL_S3_ENDPOINT point at external
servers (nothing is started for them); WAIL_S3_BUCKET, WAIL_S3_ACCESS_KEY_ID and
WAIL_S3_SECRET_ACCESS_KEY set s3proxy's bucket and credentials; WAIL_HOME moves .wail/; WAIL_JAVA_HOME picks the JDK;
WAIL_STACK_TIMEOUT_MS overrides the readiness timeouts.`;

const print = (line: string) => process.stdout.write(`${line}\n`);

function describe(state: ServiceState): string {
  switch (state.mode) {
    case 'stopped':
      return 'stopped';
    case 'external':
      return state.ready ? 'external, ready' : `external, NOT ready: ${state.error ?? ''}`;
    case 'foreign':
      return state.ready
        ? 'running (not started by the stack), ready'
        : `running (not started by the stack), NOT ready: ${state.error ?? ''}`;
    case 'local':
      return state.ready
        ? `running (pid ${state.pid}), ready`
        : `running (pid ${state.pid}), NOT ready: ${state.error ?? ''}`;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const follow = rest.includes('-f') || rest.includes('--follow');
  const names = rest.filter((arg) => !arg.startsWith('-'));
  const stack = new Stack({ home: stackHome(), env: process.env, print });
  switch (command) {
    case 'up': {
      const started = Date.now();
      await stack.up(names);
      print(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'down':
      await stack.down(names);
      return 0;
    case 'restart': {
      // A bare `down` also stops on-demand services, which a bare `up` would not bring back.
      const selected = stack.select(names).map((service) => service.name);
      await stack.down(selected);
      await stack.up(selected);
      return 0;
    }
    case 'status': {
      const states = await stack.status();
      for (const [name, state] of Object.entries(states))
        print(`${name.padEnd(10)} ${describe(state)}`);
      // A stopped on-demand service is healthy: only `up <name>` starts it.
      const required = new Set<string>(stack.select([]).map((service) => service.name));
      return Object.entries(states).every(([name, state]) =>
        state.mode === 'stopped' ? !required.has(name) : state.ready,
      )
        ? 0
        : 3;
    }
    case 'logs': {
      if (!follow) {
        stack.logs(names, 100);
        return 0;
      }
      const files = stack.select(names).map((service) => stack.logFile(service.name));
      const child = spawn('tail', ['-n', '20', '-F', ...files], { stdio: 'inherit' });
      return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(usage);
      return command === undefined ? 2 : 0;
    default:
      print(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`stack: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
