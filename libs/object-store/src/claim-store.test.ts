import { createHash } from 'node:crypto';
import { isWailError } from '@wail/errors';
import { checkClaim, claimKey, parseClaimUri } from './claim-store';
import { resolveClaimCheck, type ClaimReader } from './resolve';

const bytes = Buffer.from('a row too large for the bus');
const sha256 = createHash('sha256').update(bytes).digest('hex');
const pointer = {
  uri: `s3://wail-claims/${claimKey(sha256)}`,
  size: BigInt(bytes.length),
  sha256,
  contentType: 'application/vnd.wail.event+avro',
};

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isWailError(error) ? error.code : 'not a WailError';
  }
  return undefined;
}

describe('claim-check pointers', () => {
  it('addresses an object by the SHA-256 of its bytes', () => {
    expect(claimKey(sha256)).toBe(`claims/${sha256}`);
    expect(parseClaimUri(pointer.uri)).toEqual({ bucket: 'wail-claims', key: `claims/${sha256}` });
  });

  it('refuses a uri that is not s3://bucket/key', () => {
    expect(codeOf(() => parseClaimUri('https://example.com/x'))).toBe('CLAIM_CHECK_MISMATCH');
    expect(codeOf(() => parseClaimUri('s3://bucket-only'))).toBe('CLAIM_CHECK_MISMATCH');
  });

  it('accepts the bytes a pointer names and refuses others of another size or content', () => {
    expect(codeOf(() => checkClaim(pointer, bytes))).toBeUndefined();
    expect(codeOf(() => checkClaim(pointer, bytes.subarray(1)))).toBe('CLAIM_CHECK_MISMATCH');
    const altered = Buffer.from(bytes);
    altered[0] = 0x41;
    expect(codeOf(() => checkClaim(pointer, altered))).toBe('CLAIM_CHECK_MISMATCH');
  });
});

describe('resolveClaimCheck', () => {
  interface Envelope {
    after: Record<string, unknown> | null;
    claimCheck?: typeof pointer | null;
  }
  const reader = (stored: Buffer): ClaimReader => ({ getClaim: async () => stored });
  const full: Envelope = { after: { id: 1 }, claimCheck: null };

  it('returns an envelope without a claim check as it is, without reading the store', async () => {
    const plain: Envelope = { after: { id: 2 }, claimCheck: null };
    const store = { getClaim: jest.fn() };
    await expect(resolveClaimCheck(store, plain, async () => full)).resolves.toBe(plain);
    await expect(resolveClaimCheck(undefined, { after: null }, async () => full)).resolves.toEqual({
      after: null,
    });
    expect(store.getClaim).not.toHaveBeenCalled();
  });

  it('returns the stored event, decoded, in place of the pointer', async () => {
    const decode = jest.fn(async (stored: Buffer) => {
      expect(stored).toEqual(bytes);
      return full;
    });
    const claimed: Envelope = { after: null, claimCheck: pointer };
    await expect(resolveClaimCheck(reader(bytes), claimed, decode)).resolves.toBe(full);
  });

  it('says CLAIM_CHECK_UNAVAILABLE when no store is configured', async () => {
    await expect(
      resolveClaimCheck(undefined, { after: null, claimCheck: pointer }, async () => full),
    ).rejects.toMatchObject({ code: 'CLAIM_CHECK_UNAVAILABLE', retriable: true });
  });

  it('says CLAIM_CHECK_MISMATCH when the object does not decode to a row', async () => {
    const claimed: Envelope = { after: null, claimCheck: pointer };
    await expect(
      resolveClaimCheck(reader(bytes), claimed, async () => {
        throw new Error('unknown magic byte');
      }),
    ).rejects.toMatchObject({ code: 'CLAIM_CHECK_MISMATCH' });
    await expect(
      resolveClaimCheck(reader(bytes), claimed, async () => ({ after: null, claimCheck: null })),
    ).rejects.toMatchObject({ code: 'CLAIM_CHECK_MISMATCH' });
  });
});
