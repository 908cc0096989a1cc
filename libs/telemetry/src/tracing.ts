import { context, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TracingOptions {
  service: string;
  /** Export spans over OTLP (the SDK reads the standard OTEL_EXPORTER_OTLP_* variables). */
  export: boolean;
}

/**
 * Starts OpenTelemetry for a service. Spans are always created and their
 * context always propagates (W3C `traceparent`), so one trace links proxy and
 * consumer; they are exported only when an OTLP endpoint is configured.
 */
export function startTracing(options: TracingOptions): { shutdown(): Promise<void> } {
  const sdk = new NodeSDK({
    serviceName: options.service,
    instrumentations: [],
    ...(options.export ? {} : { spanProcessors: [new NoopSpanProcessor()] }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** Runs `work` with `span` active: spans started inside (a driver's query, say) are its children, and log lines carry its trace. */
export function withSpan<T>(span: Span, work: () => T): T {
  return context.with(trace.setSpan(context.active(), span), work);
}

export function tracer(service: string) {
  return trace.getTracer(`wail.${service}`);
}

/** The W3C trace context of `span` as Kafka/HTTP headers (`traceparent`, maybe `tracestate`). */
export function traceHeaders(span: Span): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return headers;
}

/** The context carried by headers, to parent a span on the consumer side. */
export function contextFromHeaders(headers: Record<string, Buffer | string | undefined>): Context {
  const carrier: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) carrier[name] = value.toString();
  }
  return propagation.extract(context.active(), carrier);
}
