export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

/**
 * A minimal SSE client over fetch, as a subscriber would write one: frames
 * are parsed as they arrive; `next()` waits for the next event. Reading can be
 * slowed (`delayMs` per event) to play a slow subscriber: the response body
 * is then read only as fast as events are taken.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  private readonly controller = new AbortController();
  private buffer = '';
  private waiting: (() => void) | undefined;
  private done: Promise<void> = Promise.resolve();
  status = 0;
  closed = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly options: { lastEventId?: string; delayMs?: number } = {},
  ) {}

  async open(): Promise<void> {
    const response = await fetch(this.url, {
      headers: {
        accept: 'text/event-stream',
        authorization: `Bearer ${this.token}`,
        ...(this.options.lastEventId ? { 'last-event-id': this.options.lastEventId } : {}),
      },
      signal: this.controller.signal,
    });
    this.status = response.status;
    if (!response.ok || !response.body) {
      this.closed = true;
      this.buffer = await response.text();
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.buffer += value;
          await this.parse();
        }
      } catch {
        // aborted or reset
      } finally {
        this.closed = true;
        this.waiting?.();
      }
    })();
  }

  /** The body of a refused stream. */
  get errorBody(): string {
    return this.buffer;
  }

  /** Resolves once `count` events (in total) have arrived, or rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 30_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (this.closed) throw new Error(`stream closed after ${this.events.length} events`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.events.length} of ${count} events in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.events.slice(0, count);
  }

  changes(): Record<string, unknown>[] {
    return this.events.map((event) => JSON.parse(event.data) as Record<string, unknown>);
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }

  private async parse(): Promise<void> {
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { id: '', event: 'message', data: '' };
      let isEvent = false;
      for (const line of frame.split('\n')) {
        const colon = line.indexOf(':');
        if (colon === 0) continue;
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') {
          event.data += event.data ? `\n${value}` : value;
          isEvent = true;
        }
      }
      if (!isEvent) continue;
      this.events.push(event);
      this.waiting?.();
      if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
    }
  }
}
