export interface DependencyCheck {
  /** Name shown in /readyz, e.g. `kafka`, `mysql`, `cassandra`. */
  readonly name: string;
  /** Resolves when the dependency answers; rejects with the reason otherwise. */
  check(): Promise<void>;
}

export interface CheckResult {
  status: 'up' | 'down';
  latencyMs: number;
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
}

/**
 * Readiness of a service is the conjunction of its dependencies' checks. A
 * service that is shutting down reports unready at once so a load balancer
 * stops routing to it while in-flight work drains.
 */
export class Readiness {
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private draining = false;
  private cached: { at: number; report: Promise<ReadinessReport> } | undefined;

  constructor(
    private readonly checks: readonly DependencyCheck[],
    options: ReadinessOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.cacheMs = options.cacheMs ?? 500;
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
            () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      return { status: 'up', latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      return {
        status: 'down',
        latencyMs: Math.round(performance.now() - started),
        error: error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
