import { randomBytes } from 'node:crypto';
import { Defaults } from '@wail/config';
import { removeBucket } from '@wail/testing';
import { ClaimStore } from '../src/claim-store';

/** Against the local stack's s3proxy (`npm run stack -- up s3proxy`), in a bucket of its own. */
const bucket = `wail-test-${randomBytes(4).toString('hex')}`;
const options = {
  endpoint: process.env['WAIL_S3_ENDPOINT'] ?? Defaults.s3Endpoint,
  region: process.env['WAIL_S3_REGION'] ?? Defaults.s3Region,
  accessKeyId: process.env['WAIL_S3_ACCESS_KEY_ID'] ?? Defaults.s3AccessKeyId,
  secretAccessKey: process.env['WAIL_S3_SECRET_ACCESS_KEY'] ?? Defaults.s3SecretAccessKey,
  maxObjectBytes: 8 * 1024 * 1024,
  requestTimeoutMs: 10_000,
};
const store = new ClaimStore({ ...options, bucket });

beforeAll(async () => {
  await store.ensureBucket();
  // A second call finds it: creating the bucket is idempotent.
  await store.ensureBucket();
});
afterAll(async () => {
  store.close();
  await removeBucket(bucket);
});

describe('ClaimStore against s3proxy', () => {
  it('stores 5 MB under claims/<sha256> and reads back the same bytes', async () => {
    const bytes = randomBytes(5 * 1024 * 1024);
    const pointer = await store.putClaim(bytes, 'application/vnd.wail.event+avro');
    expect(pointer.uri).toBe(`s3://${bucket}/claims/${pointer.sha256}`);
    expect(pointer.size).toBe(BigInt(bytes.length));
    expect(pointer.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await store.getClaim(pointer)).equals(bytes)).toBe(true);
  });

  it('returns the same pointer when the same bytes are stored twice', async () => {
    const bytes = randomBytes(4096);
    const first = await store.putClaim(bytes, 'application/octet-stream');
    await expect(store.putClaim(bytes, 'application/octet-stream')).resolves.toEqual(first);
  });

  it('refuses an object whose sha256 is not the pointer’s, and a missing one as unavailable', async () => {
    const stored = await store.putClaim(randomBytes(2048), 'application/octet-stream');
    const other = await store.putClaim(randomBytes(2048), 'application/octet-stream');
    await expect(store.getClaim({ ...stored, uri: other.uri })).rejects.toMatchObject({
      code: 'CLAIM_CHECK_MISMATCH',
    });
    await expect(
      store.getClaim({ ...stored, uri: `s3://${bucket}/claims/${'0'.repeat(64)}` }),
    ).rejects.toMatchObject({ code: 'CLAIM_CHECK_UNAVAILABLE', retriable: true });
  });

  it('does not fetch an object larger than its bound', async () => {
    const small = new ClaimStore({ ...options, bucket, maxObjectBytes: 1024 });
    try {
      const pointer = await store.putClaim(randomBytes(4096), 'application/octet-stream');
      await expect(small.getClaim(pointer)).rejects.toMatchObject({
        code: 'CLAIM_CHECK_TOO_LARGE',
      });
    } finally {
      small.close();
    }
  });

  it('says CLAIM_CHECK_UNAVAILABLE when nothing answers', async () => {
    const nowhere = new ClaimStore({
      ...options,
      endpoint: 'http://127.0.0.1:1',
      bucket,
      requestTimeoutMs: 1000,
    });
    try {
      await expect(nowhere.putClaim(randomBytes(16), 'x/y')).rejects.toMatchObject({
        code: 'CLAIM_CHECK_UNAVAILABLE',
        retriable: true,
      });
    } finally {
      nowhere.close();
    }
  });
});
