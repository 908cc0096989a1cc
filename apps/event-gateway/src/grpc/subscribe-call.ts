import { once } from 'node:events';
import { Metadata, status, type ServerDuplexStream } from '@grpc/grpc-js';
import { WailError, isWailError } from '@wail/errors';
import type { Logger } from '@wail/telemetry';
import { decodeCursor } from '../delivery/cursor';
import type { Delivery, DeliverySink, SubscriptionReader } from '../delivery/subscription-reader';
import type { Gateway } from '../gateway';
import type { GatewayAuth } from '../http/auth';
import { callStatusOf, type CallStatus } from './status';

/** `wail.v1.SubscribeRequest` as the loader gives it (see LOADER_OPTIONS). */
export interface SubscribeRequest {
  request?: 'open' | 'ack';
  open?: { subscription_id: string; resume_cursor: string } | null;
  ack?: { cursor: string } | null;
}

/** `wail.v1.Change` as the loader takes it. */
export interface ChangeMessage {
  cursor: string;
  table: string;
  key_json: string;
  op: 'OP_UPSERT' | 'OP_DELETE';
  /** int64 as decimal text. */
  version: string;
  model_version: number;
  after_json: string;
  avro: Buffer;
}

export type SubscribeStream = ServerDuplexStream<SubscribeRequest, ChangeMessage>;

export interface SubscribeDeps {
  gateway: Gateway;
  auth: GatewayAuth;
  logger: Logger;
  /** A call that sends no `open` in this time is ended (INVALID_ARGUMENT). */
  openTimeoutMs: number;
}

export function changeMessage(delivery: Delivery): ChangeMessage {
  const { change } = delivery;
  return {
    cursor: delivery.cursor,
    table: change.table,
    key_json: JSON.stringify(change.key),
    op: change.op === 'DELETE' ? 'OP_DELETE' : 'OP_UPSERT',
    version: String(change.version),
    model_version: change.modelVersion,
    after_json: change.after === null ? '' : JSON.stringify(change.after),
    avro: delivery.avro,
  };
}

/**
 * One `Subscribe` call: waits for its `open`, checks the token (metadata
 * `authorization`, as the HTTP routes) and the delivery style, then streams
 * the subscription through the gateway, applying the acks that follow.
 * Requests are handled one at a time (the call is paused meanwhile, so HTTP/2
 * flow control bounds what a client can queue) and writes wait for the call
 * to drain, so a slow client slows only its own stream. The stream ends when
 * the call does, or when another stream of the subscription takes over.
 */
export class SubscribeCall {
  private subscriptionId: string | undefined;
  private reader: SubscriptionReader | undefined;
  /** An `open` came; later requests must be acks. */
  private openRequested = false;
  /** The server ended the call (a status is on its way). */
  private ending = false;
  /** The call is over: status sent, or the client is gone. */
  private over = false;
  private readonly drainAbort = new AbortController();
  private readonly openTimer: NodeJS.Timeout;
  private closed: Promise<void> | undefined;
  private markOver!: () => void;
  private readonly overSignal = new Promise<void>((resolve) => (this.markOver = resolve));
  private readonly logger: Logger;

  constructor(
    private readonly call: SubscribeStream,
    private readonly deps: SubscribeDeps,
  ) {
    this.logger = deps.logger;
    this.openTimer = setTimeout(
      () =>
        this.fail(
          new WailError(
            'BAD_REQUEST',
            `no open request within ${deps.openTimeoutMs} ms of the call's start`,
          ),
        ),
      deps.openTimeoutMs,
    );
    this.openTimer.unref();
    call.on('data', (request: SubscribeRequest) => {
      call.pause();
      this.onRequest(request).then(
        () => {
          if (!this.ending && !this.over) call.resume();
        },
        (error: unknown) => this.fail(error),
      );
    });
    call.on('end', () => {
      // The client sends no more acks; delivery goes on (unacknowledged changes are redelivered).
      if (!this.openRequested)
        this.fail(new WailError('BAD_REQUEST', 'the client ended its requests before an open'));
    });
    // The built-in 'error' listener of grpc-js turns what fail() emits into the status.
    call.on('error', () => undefined);
    for (const event of ['cancelled', 'finish', 'close'] as const)
      call.once(event, () => this.onOver());
  }

  /** Resolves once the call is over and its stream closed in the gateway. */
  async whenClosed(): Promise<void> {
    await this.overSignal;
    await this.closed;
  }

  /** Ends the call with `status` (a no-op once it is ending or over). */
  end(callStatus: CallStatus): void {
    if (this.ending || this.over) return;
    this.ending = true;
    clearTimeout(this.openTimer);
    this.drainAbort.abort();
    this.release();
    this.call.emit('error', { code: callStatus.code, details: callStatus.details });
  }

  private fail(error: unknown): void {
    if (this.ending || this.over) return;
    const callStatus = callStatusOf(error);
    const log = isWailError(error) && error.code !== 'INTERNAL' ? 'info' : 'error';
    this.logger[log](
      { err: error, subscription: this.subscriptionId, peer: this.call.getPeer() },
      'gRPC subscribe call ended with an error',
    );
    this.end(callStatus);
  }

  private async onRequest(request: SubscribeRequest): Promise<void> {
    if (this.ending || this.over) return;
    if (request.request === 'open' && request.open) {
      if (this.openRequested)
        throw new WailError('BAD_REQUEST', 'the stream is open already: send acks only');
      this.openRequested = true;
      clearTimeout(this.openTimer);
      await this.open(request.open.subscription_id, request.open.resume_cursor);
      return;
    }
    if (request.request === 'ack' && request.ack) {
      if (!this.openRequested)
        throw new WailError('BAD_REQUEST', 'the first request must be open, not ack');
      await this.ack(request.ack.cursor);
      return;
    }
    throw new WailError('BAD_REQUEST', 'a request must be open or ack');
  }

  private async open(id: string, resumeCursor: string): Promise<void> {
    const { gateway, auth } = this.deps;
    const subscription = gateway.get(id);
    const header = this.call.metadata.get('authorization')[0];
    auth.assertSubscriber(typeof header === 'string' ? header : undefined, subscription);
    if (!subscription) throw new WailError('NOT_FOUND', `no subscription ${id}`);
    if (subscription.delivery !== 'grpc')
      throw new WailError(
        'WRONG_DELIVERY',
        `subscription ${subscription.id} is delivered by ${subscription.delivery}, not gRPC`,
      );
    const resumeFrom = resumeCursor ? decodeCursor(resumeCursor) : undefined;
    this.subscriptionId = subscription.id;
    const sink: DeliverySink = { deliver: (delivery) => this.deliver(delivery) };
    const reader = await gateway.openStream(
      subscription.id,
      sink,
      () =>
        this.end({
          code: status.ABORTED,
          details: `another stream of subscription ${subscription.id} took over (a newer Subscribe), or the subscription was deleted`,
        }),
      resumeFrom,
    );
    this.reader = reader;
    if (this.ending || this.over) {
      this.release();
      return;
    }
    // The response headers say the stream is open (unless a change already carried them).
    const metadata = new Metadata();
    metadata.set('wail-subscription', subscription.id);
    this.call.sendMetadata(metadata);
    this.logger.info(
      { subscription: subscription.id, peer: this.call.getPeer(), resumed: Boolean(resumeFrom) },
      'gRPC stream open',
    );
  }

  private async ack(cursor: string): Promise<void> {
    try {
      await this.deps.gateway.ack(this.subscriptionId!, cursor);
    } catch (error) {
      // A request the gateway refuses (a malformed cursor, a deleted subscription) ends the
      // call, as its HTTP twin answers 4xx. A commit Kafka did not take is only logged: acks
      // are cumulative, the next one covers it, and without one the stream is rewound.
      if (isWailError(error) && !error.retriable) throw error;
      this.logger.warn({ err: error, subscription: this.subscriptionId }, 'gRPC ack not applied');
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    if (this.ending || this.over) return;
    if (this.call.write(changeMessage(delivery))) return;
    await once(this.call, 'drain', { signal: this.drainAbort.signal }).catch(() => undefined);
  }

  private onOver(): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.openTimer);
    this.drainAbort.abort();
    this.release();
    this.markOver();
  }

  /** Closes the call's stream in the gateway, once: no more changes are read for it. */
  private release(): void {
    if (this.closed || !this.reader || !this.subscriptionId) return;
    const id = this.subscriptionId;
    this.closed = this.deps.gateway
      .closeStream(id, this.reader)
      .catch((error: unknown) =>
        this.logger.warn({ err: error, subscription: id }, 'gRPC stream did not close cleanly'),
      );
  }
}
