import type { Logger } from 'pino';

export interface ServiceLifecycle {
  log: Logger;
  /** Stops accepting work, drains, closes connections. */
  stop(): Promise<void>;
  /** A stop that takes longer than this exits with status 1. */
  stopTimeoutMs?: number;
}

/**
 * Wires SIGTERM/SIGINT to a graceful stop. A second signal, or a stop that
 * overruns its timeout, exits at once with status 1: an operator who presses
 * Ctrl-C twice means it.
 */
export function stopOnSignals(lifecycle: ServiceLifecycle): void {
  const timeoutMs = lifecycle.stopTimeoutMs ?? 15_000;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      lifecycle.log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    lifecycle.log.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      lifecycle.log.error({ timeoutMs }, 'stop timed out, exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    lifecycle.stop().then(
      () => {
        lifecycle.log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        lifecycle.log.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Logs a start-up failure (bad config, unreachable port) and exits non-zero. */
export function exitOnStartFailure(log: Logger, error: unknown): never {
  log.fatal({ err: error }, 'failed to start');
  process.exit(1);
}
