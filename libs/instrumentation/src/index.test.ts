import { tracesExported, untracedRequest } from './index';

describe('auto-instrumentation', () => {
  it('is on only when an OTLP endpoint is set', () => {
    expect(tracesExported({})).toBe(false);
    expect(tracesExported({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracesExported({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
  });

  it('makes no span for probes and scrapes, whatever their query string', () => {
    for (const url of ['/healthz', '/readyz?verbose', '/metrics'])
      expect(untracedRequest({ url })).toBe(true);
    for (const url of ['/v1/tables/t/mutations', '/metricsx', '/', undefined])
      expect(untracedRequest({ url } as { url: string })).toBe(false);
  });
});
