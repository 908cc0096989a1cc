import { WailError, isWailError } from '@wail/errors';
import type { ClaimPointer } from './claim-store';

/** What a reader needs of a store: the checked bytes of a pointer. */
export interface ClaimReader {
  getClaim(pointer: ClaimPointer): Promise<Buffer>;
}

/** The fields of a decoded envelope `resolveClaimCheck` looks at. */
export interface ClaimedEnvelope {
  after: unknown;
  claimCheck?: ClaimPointer | null;
}

/**
 * The envelope a reader shows: itself when it carries no claim check, else
 * the full event stored in the object (a Confluent-framed event value, which
 * `decode` turns into an envelope, `after` included). The bytes are checked
 * against the pointer's SHA-256 first; an object that decodes to no row is a
 * mismatch too. A retriable failure of `decode` (a registry that does not
 * answer) is passed on as it is, so the reader retries.
 */
export async function resolveClaimCheck<E extends ClaimedEnvelope>(
  store: ClaimReader | undefined,
  envelope: E,
  decode: (bytes: Buffer) => Promise<E>,
): Promise<E> {
  const pointer = envelope.claimCheck;
  if (pointer === undefined || pointer === null) return envelope;
  if (!store) {
    throw new WailError(
      'CLAIM_CHECK_UNAVAILABLE',
      `the event is claim-checked (${pointer.uri}) and no object store is configured (WAIL_S3_ENDPOINT)`,
    );
  }
  const bytes = await store.getClaim(pointer);
  let full: E;
  try {
    full = await decode(bytes);
  } catch (error) {
    if (isWailError(error) && error.retriable) throw error;
    throw new WailError(
      'CLAIM_CHECK_MISMATCH',
      `the object ${pointer.uri} is not a decodable event: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (full.after === null || full.after === undefined || full.claimCheck) {
    throw new WailError(
      'CLAIM_CHECK_MISMATCH',
      `the object ${pointer.uri} holds no row (or another claim check)`,
    );
  }
  return full;
}
