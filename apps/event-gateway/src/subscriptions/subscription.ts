import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const DELIVERY_STYLES = ['sse', 'webhook', 'grpc'] as const;
export type DeliveryStyle = (typeof DELIVERY_STYLES)[number];
export type StartPosition = 'earliest' | 'latest';

/** Bounds of a subscription's fields, one place for the request schema and the docs. */
export const SUBSCRIPTION_BOUNDS = {
  name: '^[A-Za-z0-9._-]{1,100}$',
  table: '^[A-Za-z_][A-Za-z0-9_]{0,63}$',
  maxTables: 64,
  maxUrlLength: 2048,
  secret: { minLength: 16, maxLength: 256 },
} as const;

export interface WebhookTarget {
  url: string;
  /** The HMAC-SHA256 key of `X-Wail-Signature`; never shown again after creation. */
  secret: string;
}

/** A subscription as the gateway keeps it (its record on the subscriptions topic). */
export interface Subscription {
  id: string;
  name: string;
  tables: string[];
  start: StartPosition;
  delivery: DeliveryStyle;
  webhook?: WebhookTarget;
  /** SHA-256 of the subscription's bearer token, hex: the token itself is shown once. */
  tokenHash: string;
  createdAt: string;
  /**
   * Where `start` put the cursor on the topics that existed at creation (by
   * topic, partition: offset as decimal text): the position of a partition
   * the subscription's group has not committed yet.
   */
  startOffsets?: Record<string, Record<string, string>>;
}

/** A subscription as the API shows it: no token, no webhook secret. */
export interface SubscriptionView {
  id: string;
  name: string;
  tables: string[];
  start: StartPosition;
  delivery: DeliveryStyle;
  webhook?: { url: string };
  createdAt: string;
}

export function view(subscription: Subscription): SubscriptionView {
  return {
    id: subscription.id,
    name: subscription.name,
    tables: subscription.tables,
    start: subscription.start,
    delivery: subscription.delivery,
    ...(subscription.webhook ? { webhook: { url: subscription.webhook.url } } : {}),
    createdAt: subscription.createdAt,
  };
}

/** A new subscription id: `sub_` and 20 random base32 characters (100 bits). */
export function newSubscriptionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(20);
  let id = 'sub_';
  for (const byte of bytes) id += alphabet[byte & 31];
  return id;
}

export const SUBSCRIPTION_ID = /^sub_[a-z2-7]{20}$/;

/** A subscription's bearer token: 32 random bytes, base64url. */
export function newToken(): { token: string; hash: string } {
  const token = `wgt_${randomBytes(32).toString('base64url')}`;
  return { token, hash: tokenHash(token) };
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether `token` is the subscription's, in time independent of where they differ. */
export function tokenMatches(subscription: Subscription, token: string): boolean {
  const given = Buffer.from(tokenHash(token), 'hex');
  const expected = Buffer.from(subscription.tokenHash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The subscription a stored record holds, or undefined when this build cannot read it. */
export function parseStored(value: Buffer): Subscription | undefined {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Partial<Subscription>;
    if (
      typeof parsed.id !== 'string' ||
      !SUBSCRIPTION_ID.test(parsed.id) ||
      typeof parsed.name !== 'string' ||
      !Array.isArray(parsed.tables) ||
      !parsed.tables.every((table) => typeof table === 'string') ||
      (parsed.start !== 'earliest' && parsed.start !== 'latest') ||
      !DELIVERY_STYLES.includes(parsed.delivery as DeliveryStyle) ||
      typeof parsed.tokenHash !== 'string' ||
      typeof parsed.createdAt !== 'string'
    )
      return undefined;
    return parsed as Subscription;
  } catch {
    return undefined;
  }
}

/** The start offsets of a subscription, as offsets by topic and partition. */
export function startOffsetsOf(subscription: Subscription): Map<string, Map<number, bigint>> {
  const offsets = new Map<string, Map<number, bigint>>();
  for (const [topic, partitions] of Object.entries(subscription.startOffsets ?? {}))
    offsets.set(
      topic,
      new Map(
        Object.entries(partitions).flatMap(([partition, offset]) =>
          /^\d{1,19}$/.test(offset) ? [[Number(partition), BigInt(offset)] as const] : [],
        ),
      ),
    );
  return offsets;
}
