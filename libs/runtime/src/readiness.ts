import type { Logger } from 'pino';
import { rootErrorCode } from '@wail/errors';

export interface DependencyCheck {
  /** Name shown in /readyz, e.g. `kafka`, `mysql`, `cassandra`. */
  readonly name: string;
  /** Resolves when the dependency answers; rejects with the reason otherwise. */
  check(): Promise<void>;
}

export interface CheckResult {
  status: 'up' | 'down';
  latencyMs: number;
  /** `<name>: <short, safe reason>`, e.g. `mysql: unavailable (ECONNREFUSED)`. */
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  checks: Record<string, CheckResult>;
}

export interface ReadinessOptions {
  /** A check that has not answered within this time counts as down. */
  timeoutMs?: number;
  /** Results are reused for this long so probes never hammer a dependency. */
  cacheMs?: number;
  /** Where a dependency going down (with the driver's details) and coming back is logged. */
  logger?: Logger;
}

/**
 * What a check throws to say why its dependency is not ready in words of its
 * own (`not migrated yet`); the reason is shown in /readyz as is, so it must
 * never quote a driver message, a URL or a credential.
 */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';

  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

/**
 * A short reason fit for an unauthenticated endpoint, made only from error
 * codes (`ECONNREFUSED`, `ER_ACCESS_DENIED_ERROR`, see `rootErrorCode`).
 * Driver messages stay out: they carry addresses, SQL and sometimes input.
 */
export function readinessReason(error: unknown): string {
  if (error instanceof NotReadyError) {
    const code = rootErrorCode(error.cause);
    return code === undefined ? error.reason : `${error.reason} (${code})`;
  }
  const code = rootErrorCode(error);
  return code === undefined ? 'unavailable' : `unavailable (${code})`;
}

/**
 * Readiness of a service is the conjunction of its dependencies' checks. A
 * service that is shutting down reports unready at once so a load balancer
 * stops routing to it while in-flight work drains.
 */
export class Readiness {
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly logger: Logger | undefined;
  private readonly down = new Set<string>();
  private draining = false;
  private cached: { at: number; report: Promise<ReadinessReport> } | undefined;

  constructor(
    private readonly checks: readonly DependencyCheck[],
    options: ReadinessOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.cacheMs = options.cacheMs ?? 500;
    this.logger = options.logger;
  }

  startDraining(): void {
    this.draining = true;
  }

  evaluate(now = Date.now()): Promise<ReadinessReport> {
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.report;
    const report = this.run();
    this.cached = { at: now, report };
    return report;
  }

  private async run(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      this.checks.map(
        async (dependency) => [dependency.name, await this.probe(dependency)] as const,
      ),
    );
    const checks = Object.fromEntries(entries);
    const allUp = entries.every(([, result]) => result.status === 'up');
    return { ready: allUp && !this.draining, draining: this.draining, checks };
  }

  private async probe(dependency: DependencyCheck): Promise<CheckResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        dependency.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new NotReadyError(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      if (this.down.delete(dependency.name))
        this.logger?.info({ dependency: dependency.name }, 'dependency is back');
      return { status: 'up', latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      const reason = readinessReason(error);
      // Once per outage: probes come every few seconds.
      if (!this.down.has(dependency.name)) {
        this.down.add(dependency.name);
        this.logger?.warn({ dependency: dependency.name, reason, err: error }, 'dependency down');
      }
      return {
        status: 'down',
        latencyMs: Math.round(performance.now() - started),
        error: `${dependency.name}: ${reason}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
