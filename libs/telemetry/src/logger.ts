import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, {
  type DestinationStream,
  type Logger,
  type LevelWithSilent,
  type LoggerOptions as LoggerSettings,
} from 'pino';
import { REDACTED, REDACT_PATHS, Scrubber } from './redaction';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: LevelWithSilent;
  /** Secret values (passwords, tokens) replaced wherever they appear in a line. */
  secrets?: readonly string[];
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
}

/**
 * The trace of the line: `trace_id`, `span_id` and `trace_flags` of the active
 * span (the names OpenTelemetry's log data model and its pino instrumentation
 * use), so a line found in the logs leads to its trace and back. A new object
 * each time: pino merges the line's own fields into it.
 */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`,
  };
}

/**
 * One JSON logger per process; components take `logger.child({ component })`.
 * Pretty printing is a concern of whoever reads the stream (`npm start` pipes
 * through pino-pretty), never of the service. Every line, children's too,
 * passes the redaction layers of `./redaction` before it is written.
 */
export function createLogger(options: LoggerOptions): Logger {
  const scrubber = new Scrubber(options.secrets ?? []);
  const settings: LoggerSettings = {
    name: options.service,
    level: options.level ?? 'info',
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceFields,
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    hooks: { streamWrite: (line) => scrubber.scrub(line) },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that drops everything, for tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
