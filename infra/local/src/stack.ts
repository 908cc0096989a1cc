import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stackPaths, type StackPaths } from './paths';
import { isAlive, portOpen, runningPid, sleep, stopProcessGroup, tail } from './processes';
import { services, type ServiceName, type StackService } from './services';

export type Print = (line: string) => void;

export interface StackOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  print: Print;
}

export type ServiceState =
  | { mode: 'external'; ready: boolean; error?: string }
  | { mode: 'local'; pid: number; ready: boolean; error?: string }
  | { mode: 'foreign'; ready: boolean; error?: string }
  | { mode: 'stopped' };

const pad = (name: string) => name.padEnd(16);

export class Stack {
  private readonly paths: StackPaths;

  constructor(private readonly options: StackOptions) {
    this.paths = stackPaths(options.home);
  }

  /** The named services; with no names, those `up` starts: every one not on demand. */
  select(names: readonly string[]): StackService[] {
    if (names.length === 0) return services.filter((service) => !service.onDemand);
    return names.map((name) => {
      const service = services.find((candidate) => candidate.name === name);
      if (!service) {
        throw new Error(
          `unknown service "${name}"; expected one of ${services.map((s) => s.name).join(', ')}`,
        );
      }
      return service;
    });
  }

  isExternal(service: StackService): boolean {
    return Boolean(this.options.env[service.externalVariable]);
  }

  /**
   * Brings every selected service to ready. Idempotent: a service that already
   * answers is left alone, whoever started it; an external one is only checked.
   */
  async up(names: readonly string[] = []): Promise<void> {
    const selected = this.select(names);
    await this.withLock(async () => {
      const started: { service: StackService; pid?: number; at: number }[] = [];
      for (const service of selected) {
        const at = Date.now();
        if (this.isExternal(service)) {
          this.note(service, `external (${service.externalVariable}); not started here`);
          started.push({ service, at });
          continue;
        }
        const pid = runningPid(this.paths.pid(service.name));
        if (pid !== undefined) {
          started.push({ service, pid, at });
          continue;
        }
        const { host, port } = service.endpoint(this.options.env);
        if (await portOpen(host, port)) {
          this.note(service, `something already listens on ${host}:${port}; using it`);
          started.push({ service, at });
          continue;
        }
        const newPid = service.start(this.paths, this.options.env, (line) =>
          this.note(service, line),
        );
        if (newPid === undefined) {
          this.note(service, "starting through the machine's service manager");
          started.push({ service, at });
        } else {
          this.note(service, `starting (pid ${newPid}, log ${this.paths.log(service.name)})`);
          started.push({ service, pid: newPid, at });
        }
      }
      await Promise.all(started.map((entry) => this.waitReady(entry.service, entry.pid, entry.at)));
    });
  }

  /**
   * Stops only what this stack started, in reverse start order; with no names,
   * on-demand services too, so a bare `down` leaves nothing of the stack's running.
   */
  async down(names: readonly string[] = []): Promise<void> {
    const selected = (names.length === 0 ? [...services] : this.select(names)).reverse();
    for (const service of selected) {
      const pidFile = this.paths.pid(service.name);
      const pid = runningPid(pidFile);
      if (pid === undefined) {
        this.note(
          service,
          this.isExternal(service)
            ? 'external; left alone'
            : 'not started by the stack; left alone',
        );
        continue;
      }
      const how = await stopProcessGroup(pid, service.name === 'cassandra' ? 45_000 : 30_000);
      rmSync(pidFile, { force: true });
      this.note(
        service,
        how === 'stopped' ? `stopped (pid ${pid})` : `killed after the grace period (pid ${pid})`,
      );
    }
  }

  async status(): Promise<Record<ServiceName, ServiceState>> {
    const entries = await Promise.all(
      services.map(async (service) => [service.name, await this.stateOf(service)] as const),
    );
    return Object.fromEntries(entries) as Record<ServiceName, ServiceState>;
  }

  logs(names: readonly string[], lines: number): void {
    for (const service of this.select(names)) {
      this.options.print(`==> ${this.paths.log(service.name)} <==`);
      this.options.print(
        service.name === 'mysql' && !existsSync(this.paths.log('mysql'))
          ? '(MariaDB writes to its own error log; see /var/log/mysql or journalctl)'
          : tail(this.paths.log(service.name), lines),
      );
    }
  }

  logFile(name: ServiceName): string {
    return this.paths.log(name);
  }

  private async stateOf(service: StackService): Promise<ServiceState> {
    const probe = async () => {
      try {
        await service.ready(this.options.env);
        return { ready: true };
      } catch (error) {
        return { ready: false, error: (error as Error).message };
      }
    };
    if (this.isExternal(service)) return { mode: 'external', ...(await probe()) };
    const pid = runningPid(this.paths.pid(service.name));
    if (pid !== undefined) return { mode: 'local', pid, ...(await probe()) };
    const { host, port } = service.endpoint(this.options.env);
    if (await portOpen(host, port)) return { mode: 'foreign', ...(await probe()) };
    return { mode: 'stopped' };
  }

  private async waitReady(
    service: StackService,
    pid: number | undefined,
    since: number,
  ): Promise<void> {
    const timeoutMs = Number(this.options.env['WAIL_STACK_TIMEOUT_MS'] ?? service.readyTimeoutMs);
    const deadline = since + timeoutMs;
    let lastError = '';
    for (;;) {
      try {
        await service.ready(this.options.env);
        this.note(service, `ready in ${((Date.now() - since) / 1000).toFixed(1)} s`);
        return;
      } catch (error) {
        lastError = (error as Error).message;
      }
      if (pid !== undefined && !isAlive(pid)) {
        throw this.failure(service, `exited before it was ready (last probe: ${lastError})`);
      }
      if (Date.now() > deadline) {
        throw this.failure(
          service,
          `not ready after ${timeoutMs / 1000} s (last probe: ${lastError})`,
        );
      }
      await sleep(500);
    }
  }

  private failure(service: StackService, reason: string): Error {
    const log = this.paths.log(service.name);
    const lastLines = existsSync(log) ? `\nlast lines of ${log}:\n${tail(log, 30)}` : '';
    return new Error(`${service.name}: ${reason}${lastLines}`);
  }

  private note(service: StackService, line: string): void {
    this.options.print(`${pad(service.name)} ${line}`);
  }

  /** One `up` at a time per stack home: two would both try to start the same JVM. */
  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    const lock = this.paths.lock;
    mkdirSync(dirname(lock), { recursive: true });
    const deadline = Date.now() + 300_000;
    for (;;) {
      try {
        writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(lock, 'utf8').trim());
        if (!Number.isInteger(holder) || !isAlive(holder)) {
          rmSync(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline)
          throw new Error(`another stack command (pid ${holder}) holds ${lock}`);
        await sleep(250);
      }
    }
    try {
      return await work();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}
