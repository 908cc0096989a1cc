import { hostname } from 'node:os';
import { Type } from '@sinclair/typebox';
import {
  AllowUnauthenticatedEnv,
  Defaults,
  TlsEnv,
  listenEnv,
  loadEnv,
  requireTokensBeyondLoopback,
  splitList,
  tlsSettings,
  type Env,
  type TlsFiles,
} from '@wail/config';
import { WailError } from '@wail/errors';
import { DataPlaneEnv, dataPlaneSettings, type DataPlaneSettings } from '@wail/wiring';

export const ProxyEnv = Type.Object({
  ...DataPlaneEnv,
  ...AllowUnauthenticatedEnv,
  ...listenEnv('WAIL_PROXY', Defaults.proxyPort),
  ...TlsEnv,
  WAIL_PROXY_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._:-]{1,64}$',
      description: 'this instance in intents (default host:pid)',
    }),
  ),
  WAIL_PROXY_BODY_LIMIT: Type.Integer({
    minimum: 1024,
    // 8 MiB: a row over Kafka's record limit travels through a claim check (docs/claim-checks.md).
    default: 8_388_608,
    description: 'largest accepted request body, in bytes',
  }),
  WAIL_PROXY_BATCH_LIMIT: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 500,
    description: 'mutations per batch request',
  }),
  WAIL_PROXY_KEY_LIMIT: Type.Integer({
    minimum: 64,
    maximum: 1_000_000,
    default: 4096,
    description:
      'largest key, in bytes of its canonical form (table + key columns), answered 413 above',
  }),
  WAIL_PROXY_INTENT_LIMIT: Type.Integer({
    minimum: 1024,
    maximum: 1_000_000,
    default: 262_144,
    description:
      'largest intent record (key, value, headers), in bytes; keep it below the intent topics max.message.bytes',
  }),
  WAIL_PROXY_INTENT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 2000,
    description: 'Kafka must acknowledge an intent within this',
  }),
  WAIL_PROXY_QUEUE_LIMIT: Type.Integer({
    minimum: 1,
    default: 20_000,
    description: 'intents waiting for Kafka before new ones get 503',
  }),
  WAIL_PROXY_BACKLOG_LIMIT: Type.Integer({
    minimum: 0,
    default: 10_000,
    description: 'intents of independent tables kept for re-append while Kafka is down',
  }),
  WAIL_PROXY_WRITE_FOLD: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 32,
    description:
      'single writes reaching their store in the same turn (typically those whose intents one Kafka response acknowledged) that go to it in one call (MySQL: one statement): fewer round trips and less database CPU per write, a few milliseconds more before the row lands; 1 writes each row with its own statement',
  }),
  WAIL_PROXY_TOKENS: Type.Optional(
    Type.String({
      description:
        'token=table,table;token=* — per-table write/read permissions (tokens ≥ 16 chars)',
    }),
  ),
});

export interface ProxyConfig extends DataPlaneSettings {
  proxyId: string;
  http: { host: string; port: number; bodyLimit: number; tls: TlsFiles | undefined };
  intents: {
    timeoutMs: number;
    queueLimit: number;
    backlogLimit: number;
    keyLimit: number;
    intentLimit: number;
  };
  batchLimit: number;
  /** Single writes folded into one store call at most (`WAIL_PROXY_WRITE_FOLD`). */
  writeFold: number;
  /** token → tables it may use (`*` = all); absent = no authentication. */
  tokens: Map<string, Set<string>> | undefined;
}

export function parseTokens(spec: string): Map<string, Set<string>> {
  const tokens = new Map<string, Set<string>>();
  for (const entry of spec
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [token = '', tables = ''] = entry.split('=');
    if (token.trim().length < 16) {
      throw new WailError(
        'CONFIG_INVALID',
        'invalid configuration:\n  WAIL_PROXY_TOKENS: every token must be at least 16 characters',
      );
    }
    const names = splitList(tables);
    if (names.length === 0) {
      throw new WailError(
        'CONFIG_INVALID',
        'invalid configuration:\n  WAIL_PROXY_TOKENS: every token needs tables (or *)',
      );
    }
    tokens.set(token.trim(), new Set(names));
  }
  return tokens;
}

export function loadConfig(env: Env): ProxyConfig {
  const e = loadEnv(ProxyEnv, env);
  requireTokensBeyondLoopback({
    hostVariable: 'WAIL_PROXY_HOST',
    host: e.WAIL_PROXY_HOST,
    allowUnauthenticated: e.WAIL_ALLOW_UNAUTHENTICATED,
    missingTokens: e.WAIL_PROXY_TOKENS ? [] : ['WAIL_PROXY_TOKENS'],
    exposes: 'write, delete and read the rows of every table',
  });
  return {
    ...dataPlaneSettings(e),
    proxyId: e.WAIL_PROXY_ID ?? `${hostname()}:${process.pid}`,
    http: {
      host: e.WAIL_PROXY_HOST,
      port: e.WAIL_PROXY_PORT,
      bodyLimit: e.WAIL_PROXY_BODY_LIMIT,
      tls: tlsSettings(e),
    },
    intents: {
      timeoutMs: e.WAIL_PROXY_INTENT_TIMEOUT_MS,
      queueLimit: e.WAIL_PROXY_QUEUE_LIMIT,
      backlogLimit: e.WAIL_PROXY_BACKLOG_LIMIT,
      keyLimit: e.WAIL_PROXY_KEY_LIMIT,
      intentLimit: e.WAIL_PROXY_INTENT_LIMIT,
    },
    batchLimit: e.WAIL_PROXY_BATCH_LIMIT,
    writeFold: e.WAIL_PROXY_WRITE_FOLD,
    tokens: e.WAIL_PROXY_TOKENS ? parseTokens(e.WAIL_PROXY_TOKENS) : undefined,
  };
}
