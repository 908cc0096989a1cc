import { SpanKind } from '@opentelemetry/api';
import { contextFromHeaders, startTracing, traceHeaders, tracer } from './tracing';
import { trace } from '@opentelemetry/api';

describe('tracing', () => {
  const tracing = startTracing({ service: 'test', export: false });
  afterAll(() => tracing.shutdown());

  it('puts a W3C traceparent on outgoing headers and continues the trace from it', () => {
    const span = tracer('test').startSpan('produce', { kind: SpanKind.PRODUCER });
    const headers = traceHeaders(span);
    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const child = tracer('test').startSpan(
      'consume',
      { kind: SpanKind.CONSUMER },
      contextFromHeaders(headers),
    );
    expect(child.spanContext().traceId).toBe(span.spanContext().traceId);
    expect(
      trace.getSpanContext(
        contextFromHeaders({ traceparent: Buffer.from(headers['traceparent']!) }),
      )?.spanId,
    ).toBe(span.spanContext().spanId);
    child.end();
    span.end();
  });
});
