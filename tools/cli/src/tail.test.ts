import { withClaimResolved } from './tail';

const pointer = { uri: 's3://wail-claims/claims/ab', size: 3, sha256: 'ab', contentType: 'x' };
const published = { op: 'UPSERT', after: null, claimCheck: pointer };
const full = { op: 'UPSERT', after: { id: 1, body: 'big' }, claimCheck: null };

describe('wail tail and claim checks', () => {
  it('shows a claim-checked event with its row as after', async () => {
    const claims = { getClaim: jest.fn(async () => Buffer.from('abc')) };
    const decode = jest.fn(async () => full);
    await expect(withClaimResolved(claims, published, decode)).resolves.toEqual(full);
    expect(claims.getClaim).toHaveBeenCalledWith(pointer);
    expect(decode).toHaveBeenCalledWith(Buffer.from('abc'));
  });

  it('shows values without a claim check as they are', async () => {
    const claims = { getClaim: jest.fn() };
    const plain = { op: 'UPSERT', after: { id: 2 }, claimCheck: null };
    await expect(withClaimResolved(claims, plain, jest.fn())).resolves.toBe(plain);
    await expect(withClaimResolved(claims, 'text', jest.fn())).resolves.toBe('text');
    await expect(withClaimResolved(claims, null, jest.fn())).resolves.toBeNull();
    expect(claims.getClaim).not.toHaveBeenCalled();
  });

  it('shows the event as published, with the reason, when the object cannot be had', async () => {
    const shown = (await withClaimResolved(undefined, published, jest.fn())) as Record<
      string,
      unknown
    >;
    expect(shown).toMatchObject(published);
    expect(shown['claimCheckError']).toMatch(/no object store is configured \(WAIL_S3_ENDPOINT\)/);
  });
});
