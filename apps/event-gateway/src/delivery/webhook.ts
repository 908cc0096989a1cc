import { createHmac } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { Logger } from '@wail/telemetry';
import type { DeadLetter } from '../subscriptions/dead-letter';
import type { Subscription } from '../subscriptions/subscription';
import type { Change } from './change';
import type { GatewayMetrics } from './metrics';
import type { Delivery, DeliverySink } from './subscription-reader';

export interface WebhookSettings {
  batch: number;
  lingerMs: number;
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export interface WebhookOptions {
  subscription: Subscription;
  settings: WebhookSettings;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Acknowledges up to a cursor once its batch was taken or dead-lettered. */
  ack(cursor: string): Promise<void>;
  /** Stores the changes of a batch that failed every attempt; false when the subscription's dead letters are full. */
  deadLetter(letters: Omit<DeadLetter, 'subscription' | 'sequence'>[]): Promise<boolean>;
}

/** `X-Wail-Signature`: `sha256=` and the hex HMAC-SHA256 of the body with the subscription's secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The body of a webhook call. */
export function webhookBody(subscription: string, changes: readonly Change[], cursor: string) {
  return JSON.stringify({ subscription, cursor, changes });
}

/**
 * Posts a webhook subscription's changes in batches, one call at a time (so
 * a key is never reordered): a batch is retried with exponential backoff and
 * jitter, and after `maxAttempts` failures its changes are dead-lettered and
 * delivery goes on. The subscription's offsets move only once a batch was
 * taken (2xx) or dead-lettered; a gateway that stops mid-batch leaves it to
 * be delivered again.
 */
export class WebhookSink implements DeliverySink {
  private pending: Delivery[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: WebhookOptions) {}

  async deliver(delivery: Delivery): Promise<void> {
    await this.flushing;
    this.pending.push(delivery);
    if (this.pending.length >= this.options.settings.batch) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
      await this.flushing;
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushing = this.flushing.then(() => this.flush());
      }, this.options.settings.lingerMs);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
  }

  /**
   * Sends what is pending, at most `batch` changes per call: callers that
   * were waiting for the last flush may all have added theirs before this
   * one runs.
   */
  private async flush(): Promise<void> {
    while (this.pending.length > 0 && !this.stopped)
      await this.send(this.pending.splice(0, this.options.settings.batch));
  }

  private async send(batch: Delivery[]): Promise<void> {
    const { subscription, settings } = this.options;
    const cursor = batch.at(-1)!.cursor;
    const body = webhookBody(
      subscription.id,
      batch.map((delivery) => delivery.change),
      cursor,
    );
    let error = '';
    let attempts = 0;
    for (;;) {
      attempts++;
      error = await this.post(body);
      if (this.stopped) return;
      if (error === '') {
        this.options.metrics.webhookCalls.inc({ outcome: 'ok' });
        await this.ackOrStop(cursor);
        return;
      }
      this.options.metrics.webhookCalls.inc({ outcome: 'failed' });
      if (attempts >= settings.maxAttempts) {
        const stored = await this.options
          .deadLetter(
            batch.map((delivery) => ({
              change: delivery.change,
              cursor: delivery.cursor,
              attempts,
              error,
              at: new Date().toISOString(),
            })),
          )
          .catch((failure: unknown) => {
            this.options.logger.warn({ err: failure }, 'dead letters not stored; retrying');
            return false;
          });
        if (stored) {
          this.options.metrics.deadLettered.inc(batch.length);
          this.options.logger.warn(
            { subscription: subscription.id, changes: batch.length, attempts, error },
            'webhook batch dead-lettered',
          );
          await this.ackOrStop(cursor);
          return;
        }
        // Dead letters full or unstored: keep trying at the longest delay, losing nothing.
      }
      await this.sleep(backoff(attempts, settings));
      if (this.stopped) return;
    }
  }

  /** '' when the receiver took the batch, else why not. */
  private async post(body: string): Promise<string> {
    const { subscription, settings } = this.options;
    try {
      const response = await fetch(subscription.webhook!.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'wail-event-gateway',
          'x-wail-subscription': subscription.id,
          'x-wail-signature': signature(subscription.webhook!.secret, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(settings.timeoutMs)]),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? '' : `HTTP ${response.status}`;
    } catch (failure) {
      const name = (failure as Error).name;
      if (name === 'TimeoutError') return `timeout after ${settings.timeoutMs} ms`;
      const cause = (failure as { cause?: { code?: string } }).cause?.code;
      return cause ? `connection failed (${cause})` : 'connection failed';
    }
  }

  private async ackOrStop(cursor: string): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.options.ack(cursor);
        return;
      } catch (failure) {
        this.options.logger.warn({ err: failure }, 'webhook ack not committed; retrying');
        await this.sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** The delay before attempt `attempts + 1`: doubling from `backoffMs`, capped, with equal jitter. */
export function backoff(attempts: number, settings: WebhookSettings, random = Math.random): number {
  const ceiling = Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** (attempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const forbidden = new BlockList();
// Link-local, where cloud metadata services answer (169.254.169.254, fd00:ec2::254).
forbidden.addSubnet('169.254.0.0', 16, 'ipv4');
forbidden.addSubnet('fe80::', 10, 'ipv6');
forbidden.addAddress('fd00:ec2::254', 'ipv6');
forbidden.addSubnet('0.0.0.0', 8, 'ipv4');
forbidden.addAddress('::', 'ipv6');

/** Why a webhook URL is refused, or undefined: http(s), no credentials, not a link-local address. */
export function webhookUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http:// or https://';
  if (url.username || url.password) return 'must not carry credentials (sign with the secret)';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(host);
  if (family !== 0 && forbidden.check(host, family === 4 ? 'ipv4' : 'ipv6'))
    return 'points at a link-local or unspecified address (cloud metadata services live there)';
  return undefined;
}
