import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { ClaimCheck } from '@wail/contracts';
import { WailError } from '@wail/errors';

/** A pointer as any reader decodes it: `size` a bigint (WAIL's Avro types) or a number (plain Avro readers). */
export type ClaimPointer = Omit<ClaimCheck, 'size'> & { size: bigint | number };

export interface ClaimStoreOptions {
  /** An S3-compatible endpoint, e.g. `http://127.0.0.1:9300` (s3proxy of the local stack). */
  endpoint: string;
  region: string;
  bucket: string;
  /** Without both keys the SDK's default credential chain applies. */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  /** The largest object `getClaim` fetches. */
  maxObjectBytes: number;
  /** Per request, connection included. */
  requestTimeoutMs?: number;
}

/**
 * Claim-checked objects, content-addressed: an object's key is
 * `claims/<sha256 hex of its bytes>`, so one row stored twice is one object,
 * a retried PUT writes the same bytes, and a reader can check what it got.
 * WAIL never deletes them (docs/claim-checks.md: retention is the bucket's
 * lifecycle rule).
 */
export class ClaimStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly maxObjectBytes: number;
  /** The bucket is made on the first PUT (and again after a failed try). */
  private bucketReady: Promise<void> | undefined;

  constructor(options: ClaimStoreOptions) {
    this.bucket = options.bucket;
    this.maxObjectBytes = options.maxObjectBytes;
    const timeout = options.requestTimeoutMs ?? 30_000;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      // s3proxy, MinIO and most S3-compatible servers have no virtual-host buckets.
      forcePathStyle: true,
      // A retry is the caller's: the consumer retries the key, readers the change.
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeout, requestTimeout: timeout },
      ...(options.accessKeyId && options.secretAccessKey
        ? {
            credentials: {
              accessKeyId: options.accessKeyId,
              secretAccessKey: options.secretAccessKey,
            },
          }
        : {}),
    });
  }

  /** Creates the bucket when it does not exist yet. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (statusOf(error) !== 404) throw unavailable(`bucket ${this.bucket}`, error);
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      // Another writer created it in between.
      if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
      throw unavailable(`bucket ${this.bucket}`, error);
    }
  }

  /** Stores `bytes` (unless an object of the same content is there already) and returns its pointer. */
  async putClaim(bytes: Uint8Array, contentType: string): Promise<ClaimCheck> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = claimKey(sha256);
    await this.bucketOnce();
    const pointer: ClaimCheck = {
      uri: `s3://${this.bucket}/${key}`,
      size: BigInt(bytes.byteLength),
      sha256,
      contentType,
    };
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      if (head.ContentLength === bytes.byteLength) return pointer;
    } catch (error) {
      if (statusOf(error) !== 404) throw unavailable(pointer.uri, error);
    }
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ContentLength: bytes.byteLength,
          ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
        }),
      );
    } catch (error) {
      throw unavailable(pointer.uri, error);
    }
    return pointer;
  }

  /** The bytes a pointer names, checked against its size and SHA-256. */
  async getClaim(pointer: ClaimPointer): Promise<Buffer> {
    const { bucket, key } = parseClaimUri(pointer.uri);
    if (BigInt(pointer.size) > BigInt(this.maxObjectBytes)) {
      throw new WailError(
        'CLAIM_CHECK_TOO_LARGE',
        `the claim-checked object ${pointer.uri} is ${pointer.size} bytes; this reader takes at most ${this.maxObjectBytes}`,
      );
    }
    let bytes: Buffer;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (answer.ContentLength !== undefined && answer.ContentLength > this.maxObjectBytes) {
        throw new WailError(
          'CLAIM_CHECK_TOO_LARGE',
          `the object ${pointer.uri} is ${answer.ContentLength} bytes; this reader takes at most ${this.maxObjectBytes}`,
        );
      }
      bytes = Buffer.from((await answer.Body?.transformToByteArray()) ?? new Uint8Array());
    } catch (error) {
      if (error instanceof WailError) throw error;
      throw unavailable(pointer.uri, error);
    }
    checkClaim(pointer, bytes);
    return bytes;
  }

  private bucketOnce(): Promise<void> {
    this.bucketReady ??= this.ensureBucket().catch((error: unknown) => {
      this.bucketReady = undefined;
      throw error;
    });
    return this.bucketReady;
  }

  close(): void {
    this.client.destroy();
  }
}

export function claimKey(sha256: string): string {
  return `claims/${sha256}`;
}

/** `s3://<bucket>/<key>` → its parts; anything else is CLAIM_CHECK_MISMATCH. */
export function parseClaimUri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new WailError('CLAIM_CHECK_MISMATCH', `not an s3:// claim-check uri: ${uri}`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** Throws CLAIM_CHECK_MISMATCH unless `bytes` are the object the pointer names. */
export function checkClaim(pointer: ClaimPointer, bytes: Uint8Array): void {
  if (BigInt(bytes.byteLength) !== BigInt(pointer.size)) {
    throw new WailError(
      'CLAIM_CHECK_MISMATCH',
      `the object ${pointer.uri} is ${bytes.byteLength} bytes; its claim check says ${pointer.size}`,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== pointer.sha256) {
    throw new WailError(
      'CLAIM_CHECK_MISMATCH',
      `the object ${pointer.uri} has SHA-256 ${sha256}; its claim check says ${pointer.sha256}`,
    );
  }
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode;
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function unavailable(what: string, error: unknown): WailError {
  const status = statusOf(error);
  const name = (error as { name?: unknown } | null)?.name;
  return new WailError(
    'CLAIM_CHECK_UNAVAILABLE',
    `the object store did not serve ${what}: ${String(name ?? 'error')}${status ? ` (HTTP ${status})` : ''}`,
    { cause: error },
  );
}
