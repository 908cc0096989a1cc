import { SpanKind, trace } from '@opentelemetry/api';
import { createLogger } from './logger';
import { contextFromHeaders, startTracing, traceHeaders, tracer, withSpan } from './tracing';

describe('tracing', () => {
  const tracing = startTracing({ service: 'test', export: false });
  afterAll(() => tracing.shutdown());

  it('puts a W3C traceparent on outgoing headers and continues the trace from it', () => {
    const span = tracer('test').startSpan('produce', { kind: SpanKind.PRODUCER });
    const headers = traceHeaders(span);
    // Not exported: not sampled (flags 00), the context propagates all the same.
    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
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

  it('names the active span in every log line written under it, and nothing outside one', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: 'test',
      destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    });
    const span = tracer('test').startSpan('work');
    await withSpan(span, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.child({ component: 'c' }).info({ err: new Error('boom') }, 'inside');
    });
    logger.info('outside');
    span.end();
    const { traceId, spanId } = span.spanContext();
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      trace_id: traceId,
      span_id: spanId,
      trace_flags: '00',
      err: { message: 'boom' },
    });
    expect(lines[1]!['msg']).toBe('outside');
    expect(lines[1]).not.toHaveProperty('trace_id');
  });
});
