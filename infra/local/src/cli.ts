import { spawn } from 'node:child_process';
import { stackHome } from './paths';
import { Stack, type ServiceState } from './stack';

const usage = `usage: npm run stack -- <command> [service...]

commands:
  up [service...]       start and wait for kafka, cassandra, mysql (idempotent)
  down [service...]     stop what the stack started
  restart [service...]  down, then up
  status                show each service and whether it answers
  logs [service...]     last 100 lines of each log; -f to follow

services: cassandra, kafka, mysql
environment: WAIL_KAFKA_BROKERS, WAIL_CASSANDRA_CONTACT_POINTS, WAIL_MYSQL_URL point at
external servers (nothing is started for them); WAIL_HOME moves .wail/; WAIL_JAVA_HOME
picks the JDK; WAIL_STACK_TIMEOUT_MS overrides the readiness timeouts.`;

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
    case 'restart':
      await stack.down(names);
      await stack.up(names);
      return 0;
    case 'status': {
      const states = await stack.status();
      for (const [name, state] of Object.entries(states))
        print(`${name.padEnd(10)} ${describe(state)}`);
      return Object.values(states).every((state) => state.mode !== 'stopped' && state.ready)
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
