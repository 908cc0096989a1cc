import { timingSafeEqual } from 'node:crypto';
import { WailError } from '@wail/errors';
import { tokenMatches, type Subscription } from '../subscriptions/subscription';

/**
 * Bearer tokens: the admin token (`WAIL_GATEWAY_ADMIN_TOKEN`) may do
 * everything; a subscription's token (shown once, when it is created) only
 * reads, acknowledges and inspects that subscription. Without an admin token
 * the admin routes are open (loopback only: the config refuses otherwise);
 * subscriber routes always need a token.
 */
export class GatewayAuth {
  private readonly admin: Buffer | undefined;

  constructor(adminToken: string | undefined) {
    this.admin = adminToken === undefined ? undefined : Buffer.from(adminToken);
  }

  assertAdmin(header: string | undefined): void {
    if (!this.admin) return;
    const presented = bearer(header);
    if (!this.isAdmin(presented))
      throw new WailError('UNAUTHORIZED', 'the admin token is required');
  }

  /** For a route of one subscription: its own token or the admin token. */
  assertSubscriber(header: string | undefined, subscription: Subscription | undefined): void {
    const presented = bearer(header);
    if (this.isAdmin(presented)) return;
    // An unknown id and a wrong token look the same to a caller without the right token.
    if (!subscription || !tokenMatches(subscription, presented))
      throw new WailError('UNAUTHORIZED', "the subscription's token is required");
  }

  private isAdmin(presented: string): boolean {
    if (!this.admin) return false;
    const given = Buffer.from(presented);
    return given.length === this.admin.length && timingSafeEqual(given, this.admin);
  }
}

function bearer(header: string | undefined): string {
  const [, presented] = /^Bearer\s+(\S{1,512})\s*$/i.exec(header ?? '') ?? [];
  if (presented === undefined) throw new WailError('UNAUTHORIZED', 'a bearer token is required');
  return presented;
}
