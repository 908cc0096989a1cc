import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { deadAddress } from './stack-env';

const repoRoot = join(__dirname, '..', '..', '..');

export interface ServiceProcess {
  /** `https://…` when the service was given WAIL_TLS_CERT_FILE, else `http://…`. */
  url: string;
  port: number;
  /** `127.0.0.1:<port>` of the service's gRPC listener (the event gateway's), on its own free port. */
  grpcAddress?: string;
  child: ChildProcess;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no graceful shutdown. */
  kill(): Promise<void>;
}

const ENTRIES = {
  repository: { app: 'apps/schema-repository', portVariable: 'WAIL_REPOSITORY_PORT' },
  proxy: { app: 'apps/producer-proxy', portVariable: 'WAIL_PROXY_PORT' },
  consumer: { app: 'apps/smart-consumer', portVariable: 'WAIL_CONSUMER_PORT' },
  gateway: {
    app: 'apps/event-gateway',
    portVariable: 'WAIL_GATEWAY_PORT',
    grpcPortVariable: 'WAIL_GATEWAY_GRPC_PORT',
  },
} as const satisfies Record<
  string,
  { app: string; portVariable: string; grpcPortVariable?: string }
>;

/**
 * How a service is run: from its TypeScript sources through tsx (what the
 * tests and `npm start` use), or, with `bundle`, as shipped: the `nx build`
 * output `dist/main.js` under plain node.
 */
function command(service: keyof typeof ENTRIES, bundle: boolean): string[] {
  const { app } = ENTRIES[service];
  return bundle
    ? [join(repoRoot, app, 'dist', 'main.js')]
    : ['--import', 'tsx', join(repoRoot, app, 'src', 'main.ts')];
}

export interface SpawnedService extends ServiceProcess {
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Spawns one of WAIL's services as its own process (by path: tests never
 * import another app) on a free port, without waiting for it: for a service
 * that is meant to fail at start-up, or to stay unready.
 */
export async function spawnServiceProcess(
  service: keyof typeof ENTRIES,
  env: Record<string, string>,
  options: { logs?: boolean; logFile?: string; bundle?: boolean } = {},
): Promise<SpawnedService> {
  const { port } = await deadAddress();
  const entry: { portVariable: string; grpcPortVariable?: string } = ENTRIES[service];
  const { portVariable, grpcPortVariable } = entry;
  // Parallel suites each run their own gateway: a fixed gRPC port would collide.
  const grpcPort = grpcPortVariable ? (await deadAddress()).port : undefined;
  const output = options.logFile
    ? openSync(options.logFile, 'a')
    : options.logs
      ? 'inherit'
      : 'ignore';
  const child = spawn(process.execPath, command(service, options.bundle ?? false), {
    cwd: repoRoot,
    env: {
      ...process.env,
      WAIL_LOG_LEVEL: options.logs || options.logFile ? 'info' : 'warn',
      ...env,
      [portVariable]: String(port),
      ...(grpcPortVariable ? { [grpcPortVariable]: String(grpcPort) } : {}),
    },
    stdio: ['ignore', output, output],
  });
  if (typeof output === 'number') closeSync(output);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    url: `${env.WAIL_TLS_CERT_FILE ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    ...(grpcPort === undefined ? {} : { grpcAddress: `127.0.0.1:${grpcPort}` }),
    child,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Starts one of WAIL's services as its own process on a free port, and waits
 * for `/readyz`: over HTTPS, trusting `ca` (the CA that signed its
 * certificate), when `env` gives it WAIL_TLS_CERT_FILE.
 */
export async function startServiceProcess(
  service: keyof typeof ENTRIES,
  env: Record<string, string>,
  options: {
    readyTimeoutMs?: number;
    logs?: boolean;
    logFile?: string;
    bundle?: boolean;
    ca?: string | Buffer;
  } = {},
): Promise<ServiceProcess> {
  const spawned = await spawnServiceProcess(service, env, options);
  const { child, url } = spawned;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}`);
        try {
          return (await readyzStatus(url, options.ca)) === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, what: `${service} ready` },
    );
  } catch (error) {
    // Not ready: do not leave it running behind the caller's back.
    child.kill('SIGKILL');
    throw error;
  }
  return spawned;
}

/** The status of `GET /readyz`; over HTTPS trusting only `ca` (fetch cannot be given a CA). */
async function readyzStatus(url: string, ca: string | Buffer | undefined): Promise<number> {
  if (url.startsWith('http:')) return (await fetch(`${url}/readyz`)).status;
  return new Promise((resolve, reject) => {
    const request = get(`${url}/readyz`, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}

/**
 * Runs one of WAIL's services as its own process and waits for it to exit on
 * its own (a refused configuration, say); resolves with the exit code and
 * everything it printed. A process still running after `timeoutMs` is killed
 * and reported with code `null`.
 */
export async function runServiceUntilExit(
  service: keyof typeof ENTRIES,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, command(service, false), {
    cwd: repoRoot,
    env: { ...process.env, WAIL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) =>
    child.once('close', (exitCode) => resolve(exitCode)),
  );
  clearTimeout(timer);
  return { code, output };
}

/** Polls `check` until it returns a truthy value (which is returned) or the timeout passes. */
export async function waitFor<T>(
  check: () => Promise<T | false | undefined | null> | T | false | undefined | null,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
      if ((error as Error).message?.includes('exited with')) throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${options.what ?? 'a condition'}${last ? `: ${(last as Error).message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
