/**
 * Media types of the Confluent REST dialect. Requests may carry any of the
 * three JSON types or `application/octet-stream` (all parsed as JSON, with or
 * without a charset); responses use the type the client prefers among the
 * three JSON types, `application/vnd.schemaregistry.v1+json` by default.
 */
export const V1 = 'application/vnd.schemaregistry.v1+json';
export const GENERIC = 'application/vnd.schemaregistry+json';
export const JSON_TYPE = 'application/json';
/** What responses may be, the client's preference first, else v1. */
export const RESPONSE_TYPES: readonly string[] = [V1, GENERIC, JSON_TYPE];
/** What request bodies may be (`REQUEST_BODY_TYPES` also admits parameters such as a charset). */
export const REQUEST_TYPES: readonly string[] = [...RESPONSE_TYPES, 'application/octet-stream'];

export const REQUEST_BODY_TYPES =
  /^\s*application\/(json|vnd\.schemaregistry(\.v1)?\+json|octet-stream)\s*(;.*)?$/i;

interface Range {
  type: string;
  q: number;
  order: number;
}

function parseAccept(header: string): Range[] {
  return header
    .split(',')
    .map((part, order) => {
      const [type = '', ...params] = part.split(';').map((piece) => piece.trim());
      const qParam = params.find((param) => param.toLowerCase().startsWith('q='));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      return { type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((range) => range.type.length > 0 && range.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
}

/**
 * The response type for an `Accept` header, or `undefined` when nothing the
 * client accepts can be produced (→ 406). Wildcards (`*`, `*\/*`,
 * `application/*`, `*\/anything`) get the v1 type.
 */
export function negotiate(accept: string | undefined): string | undefined {
  if (accept === undefined || accept.trim() === '') return V1;
  for (const range of parseAccept(accept)) {
    if (RESPONSE_TYPES.includes(range.type)) return range.type;
    const [main, sub] = range.type.split('/');
    if (main === '*' || (main === 'application' && sub === '*')) return V1;
  }
  return undefined;
}
