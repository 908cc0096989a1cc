/**
 * OpenTelemetry auto-instrumentation of the drivers: HTTP (node:http and
 * fetch), mysql2, pg, cassandra-driver and ioredis spans. Each service's entry
 * point imports this module first, because an instrumentation patches a
 * driver only when the driver is loaded after it (the bundles keep drivers as
 * separate packages, loaded in import order). Registered only when traces are
 * exported: unexported spans of every query would cost CPU for nothing
 * (WAIL's own spans and their `traceparent` propagation stay on regardless).
 */
import type { IncomingMessage } from 'node:http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { CassandraDriverInstrumentation } from '@opentelemetry/instrumentation-cassandra-driver';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/**
 * Whether traces are exported: `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the SDK
 * then reads the other standard OTEL_EXPORTER_OTLP_* variables).
 */
export function tracesExported(env: { OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined }): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** Probes and scrapes are not worth a trace each. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function untracedRequest(request: Pick<IncomingMessage, 'url'>): boolean {
  const path = (request.url ?? '').split('?', 1)[0]!;
  return UNTRACED_PATHS.has(path);
}

if (tracesExported(process.env)) {
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: untracedRequest }),
      new UndiciInstrumentation(),
      new MySQL2Instrumentation(),
      new PgInstrumentation(),
      new CassandraDriverInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
}
