import type { LevelWithSilent, Logger } from 'pino';
import { secretValues } from '@wail/config';
import { WailError } from '@wail/errors';
import { createLogger } from '@wail/telemetry';

export interface RunningService {
  /** Stops accepting work, drains, closes connections. */
  stop(): Promise<void>;
}

export interface ServiceDefinition<C extends { logLevel: LevelWithSilent }> {
  service: string;
  /** Validates the environment; throws a clear error on bad values. */
  loadConfig(env: NodeJS.ProcessEnv): C;
  /** Builds the service from its config and starts serving. */
  start(config: C, logger: Logger): Promise<RunningService>;
  /** A stop that takes longer than this exits with status 1. */
  stopTimeoutMs?: number;
}

/**
 * The shape every `main.ts` shares: validate config (fail fast, non-zero exit),
 * start, and stop gracefully on SIGTERM/SIGINT. A second signal, or a stop that
 * overruns its timeout, exits at once with status 1.
 */
export async function runService<C extends { logLevel: LevelWithSilent }>(
  definition: ServiceDefinition<C>,
): Promise<void> {
  // Secrets are known before validation, so even a CONFIG_INVALID line is scrubbed.
  const secrets = secretValues(process.env);
  let logger = createLogger({ service: definition.service, secrets });
  let running: RunningService;
  try {
    const config = definition.loadConfig(process.env);
    logger = createLogger({ service: definition.service, level: config.logLevel, secrets });
    running = await definition.start(config, logger);
  } catch (error) {
    if (error instanceof WailError && error.code === 'CONFIG_INVALID') {
      logger.fatal({ code: error.code, problems: error.details?.['problems'] }, error.message);
    } else {
      logger.fatal({ err: error }, 'failed to start');
    }
    process.exit(1);
  }

  const timeoutMs = definition.stopTimeoutMs ?? 15_000;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'stop timed out, exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    running.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
