import { BlockList, isIP } from 'node:net';
import { Type } from '@sinclair/typebox';
import { WailError } from '@wail/errors';

export const AllowUnauthenticatedEnv = {
  WAIL_ALLOW_UNAUTHENTICATED: Type.Boolean({
    default: false,
    description:
      'true lets a service listening beyond loopback start without its tokens (anyone who reaches it may then use it)',
  }),
};

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/**
 * Whether a listen address can only be reached from this machine: 127.0.0.0/8,
 * ::1 (also IPv4-mapped) or `localhost`. The wildcards 0.0.0.0 and :: are not,
 * and neither is any other host name: what it resolves to is not ours to know.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  if (family === 0) return false;
  return loopback.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

export interface ListenerExposure {
  /** The variable that sets the listen address, e.g. `WAIL_PROXY_HOST`. */
  hostVariable: string;
  host: string;
  allowUnauthenticated: boolean;
  /** The token variables this service needs beyond loopback that are unset. */
  missingTokens: readonly string[];
  /** What an unauthenticated caller could do, for the message. */
  exposes: string;
}

/**
 * A service bound beyond loopback refuses to start without its tokens unless
 * `WAIL_ALLOW_UNAUTHENTICATED=true` says the operator accepts an open service
 * (behind a gateway that authenticates, say). Throws CONFIG_INVALID, which
 * `runService` turns into a fatal log line and exit status 1.
 */
export function requireTokensBeyondLoopback(exposure: ListenerExposure): void {
  if (exposure.missingTokens.length === 0 || exposure.allowUnauthenticated) return;
  if (isLoopbackHost(exposure.host)) return;
  const tokens = exposure.missingTokens.join(' and ');
  const problem =
    `  ${exposure.hostVariable} (${JSON.stringify(exposure.host)}) is not a loopback address ` +
    `and ${tokens} ${exposure.missingTokens.length > 1 ? 'are' : 'is'} unset: anyone who reaches ` +
    `it could ${exposure.exposes}. Set ${tokens}, listen on 127.0.0.1, or set ` +
    'WAIL_ALLOW_UNAUTHENTICATED=true to run it open on purpose';
  throw new WailError('CONFIG_INVALID', `invalid configuration:\n${problem}`, {
    details: { problems: [problem] },
  });
}
