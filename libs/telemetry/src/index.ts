export { createLogger, silentLogger } from './logger';
export type { Logger, LoggerOptions } from './logger';
export { REDACTED, Scrubber, scrubUrlCredentials } from './redaction';
export {
  Counter,
  Gauge,
  Histogram,
  UNKNOWN_TABLE_LABEL,
  createMetricsRegistry,
  tableLabel,
} from './metrics';
export type { Registry } from './metrics';
export { contextFromHeaders, startTracing, traceHeaders, tracer, withSpan } from './tracing';
export type { TracingOptions } from './tracing';
