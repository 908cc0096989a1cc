import type { Logger } from 'pino';
import { isWailError } from '@wail/errors';
import type { Counter } from '@wail/telemetry';
import type { IntentAppender, IntentRecord } from './intent-log';

interface Held {
  record: IntentRecord;
  table: string;
  intentId: string;
}

/**
 * Intents of `independent` tables whose database write went ahead while Kafka
 * was down. They are re-appended, oldest first, when Kafka is back; beyond
 * the bound the oldest are dropped, and every drop is logged by table and
 * intent id so an operator knows which writes will have no event.
 */
export class IntentBacklog {
  private readonly held: Held[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    private readonly log: IntentAppender,
    private readonly limit: number,
    private readonly logger: Logger,
    private readonly dropped: Counter,
    private readonly retryMs = 1000,
  ) {}

  get size(): number {
    return this.held.length;
  }

  add(record: IntentRecord, table: string, intentId: string): void {
    if (this.limit === 0) {
      this.drop({ record, table, intentId }, 'backlog disabled');
      return;
    }
    this.held.push({ record, table, intentId });
    while (this.held.length > this.limit) this.drop(this.held.shift()!, 'backlog full');
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Tries to re-append everything held; resolves when the attempt is over.
   * An intent Kafka refuses (too large) can never be appended: it is dropped
   * and reported, and the others go on.
   */
  async flush(): Promise<void> {
    if (this.flushing || this.held.length === 0) return;
    this.flushing = true;
    const batch = this.held.slice(0, 1000);
    try {
      const outcomes = await Promise.allSettled(
        this.log.appendEach(batch.map((held) => held.record)),
      );
      const kept: Held[] = [];
      let unavailable: unknown;
      outcomes.forEach((outcome, i) => {
        if (outcome.status === 'fulfilled') return;
        const error: unknown = outcome.reason;
        if (isWailError(error) && !error.retriable) {
          this.drop(batch[i]!, `Kafka refused it: ${error.message}`);
        } else {
          kept.push(batch[i]!);
          unavailable ??= error;
        }
      });
      this.held.splice(0, batch.length, ...kept);
      if (unavailable) {
        this.logger.warn(
          { err: unavailable, held: this.held.length },
          'Kafka still unavailable; intents stay in the backlog',
        );
      } else {
        this.logger.info(
          { reappended: batch.length - kept.length, remaining: this.held.length },
          'backlogged intents re-appended',
        );
      }
    } finally {
      this.flushing = false;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.timer || this.held.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.retryMs);
    this.timer.unref();
  }

  private drop(held: Held, reason: string): void {
    this.dropped.inc({ table: held.table });
    this.logger.error(
      { table: held.table, intentId: held.intentId, reason },
      'intent dropped: this write will have no event',
    );
  }
}
