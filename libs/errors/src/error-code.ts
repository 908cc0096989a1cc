const CODE = /^[A-Z][A-Z0-9_]{2,63}$/;

/**
 * The most specific error code along an error's causes (`cause`, an
 * `AggregateError`'s `errors`, a driver's per-host `innerErrors`): a constant
 * such as `ECONNREFUSED`, `ER_ACCESS_DENIED_ERROR` or Kafka's
 * `MESSAGE_TOO_LARGE`. Codes, unlike driver messages, never quote addresses,
 * SQL, values or credentials, so they are what an answer or a public status
 * page may show.
 */
export function rootErrorCode(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== 'object' || depth > 8) return undefined;
  const e = error as {
    code?: unknown;
    type?: unknown;
    cause?: unknown;
    errors?: unknown;
    innerErrors?: unknown;
  };
  const inner = [
    e.cause,
    ...(Array.isArray(e.errors) ? e.errors : []),
    ...(e.innerErrors !== null && typeof e.innerErrors === 'object'
      ? Object.values(e.innerErrors as object)
      : []),
  ];
  for (const next of inner) {
    const found = rootErrorCode(next, depth + 1);
    if (found !== undefined) return found;
  }
  for (const candidate of [e.code, e.type]) {
    if (typeof candidate === 'string' && CODE.test(candidate)) return candidate;
  }
  return undefined;
}
