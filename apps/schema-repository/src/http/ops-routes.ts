/**
 * The operational routes: public whatever tokens are configured, and outside
 * the Confluent dialect (no content negotiation, their own content types).
 */
export const OPS_ROUTES: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
]);

export function isOpsRequest(url: string): boolean {
  return OPS_ROUTES.has(url.split('?')[0] ?? '');
}
