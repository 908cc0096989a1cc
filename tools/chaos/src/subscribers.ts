import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A change as a subscriber of the event gateway received it, in arrival order. */
export interface ReceivedChange {
  table: string;
  key: string;
  op: 'UPSERT' | 'DELETE';
  version: bigint;
}

export interface SubscriberStats {
  name: string;
  received: number;
  /** SSE: streams opened (1 + reconnects); webhook: calls answered 2xx. */
  connections: number;
  /** Webhook: calls the receiver failed on purpose (the gateway must retry them). */
  refused: number;
  /** Webhook: calls whose signature did not verify (a violation). */
  badSignatures: number;
}

const SECRET = 'chaos-webhook-secret-0123456789';

interface Change {
  table: string;
  key: { id: unknown };
  op: 'UPSERT' | 'DELETE';
  version: number;
}

const received = (change: Change): ReceivedChange => ({
  table: change.table,
  key: String(change.key.id),
  op: change.op,
  version: BigInt(change.version),
});

/**
 * The event gateway's subscribers in a chaos run: one SSE stream that
 * acknowledges as it goes and reconnects (with Last-Event-ID) whenever the
 * stream breaks — a gateway SIGKILLed, Kafka restarted — and one webhook
 * receiver that refuses a share of the calls and verifies every signature.
 * Both subscribe to the workload's tables from the earliest change.
 */
export class Subscribers {
  readonly sse: ReceivedChange[] = [];
  readonly webhook: ReceivedChange[] = [];
  readonly stats = {
    sse: { name: 'sse', received: 0, connections: 0, refused: 0, badSignatures: 0 },
    webhook: { name: 'webhook', received: 0, connections: 0, refused: 0, badSignatures: 0 },
  } satisfies Record<string, SubscriberStats>;
  private server: Server | undefined;
  private running = false;
  private stream: Promise<void> = Promise.resolve();
  private abort = new AbortController();

  constructor(
    private readonly options: {
      tables: readonly string[];
      gatewayUrl: () => string;
      random: () => number;
      /** Share of webhook calls answered 500. */
      refuseShare: number;
    },
  ) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const expected = Buffer.from(
          `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
        );
        const given = Buffer.from(String(request.headers['x-wail-signature'] ?? ''));
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          this.stats.webhook.badSignatures++;
          response.writeHead(401).end();
          return;
        }
        if (this.options.random() < this.options.refuseShare) {
          this.stats.webhook.refused++;
          response.writeHead(500).end();
          return;
        }
        const changes = (JSON.parse(body) as { changes: Change[] }).changes;
        this.webhook.push(...changes.map(received));
        this.stats.webhook.received += changes.length;
        this.stats.webhook.connections++;
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/chaos`;
    await this.subscribe({
      name: 'chaos-webhook',
      delivery: 'webhook',
      webhook: { url: hook, secret: SECRET },
    });
    const sse = await this.subscribe({ name: 'chaos-sse', delivery: 'sse' });
    this.running = true;
    this.stream = this.follow(sse.id, sse.token);
  }

  /** Ends the stream and the receiver; a second call does nothing. */
  async stop(): Promise<void> {
    if (!this.server) return;
    this.running = false;
    this.abort.abort();
    await this.stream;
    const server = this.server;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async subscribe(body: Record<string, unknown>): Promise<{ id: string; token: string }> {
    const response = await fetch(`${this.options.gatewayUrl()}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tables: this.options.tables, start: 'earliest', ...body }),
    });
    if (response.status !== 201)
      throw new Error(
        `subscription ${String(body['name'])}: ${response.status} ${await response.text()}`,
      );
    return (await response.json()) as { id: string; token: string };
  }

  /** Reads the SSE stream until stopped, acknowledging every 20 changes; reconnects after any break. */
  private async follow(id: string, token: string): Promise<void> {
    let last: string | undefined;
    while (this.running) {
      try {
        this.abort = new AbortController();
        const url = `${this.options.gatewayUrl()}/v1/subscriptions/${id}`;
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const response = await fetch(`${url}/events`, {
          headers: { ...headers, ...(last ? { 'last-event-id': last } : {}) },
          signal: this.abort.signal,
        });
        if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
        this.stats.sse.connections++;
        let buffer = '';
        let unacked = 0;
        for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const frame = new Map(
              buffer
                .slice(0, end)
                .split('\n')
                .map((line) => line.split(/: (.*)/s) as [string, string]),
            );
            buffer = buffer.slice(end + 2);
            if (!frame.has('data')) continue;
            this.sse.push(received(JSON.parse(frame.get('data')!) as Change));
            this.stats.sse.received++;
            last = frame.get('id');
            if (++unacked >= 20) {
              unacked = 0;
              await fetch(`${url}/ack`, {
                method: 'POST',
                headers,
                body: JSON.stringify({ cursor: last }),
              }).catch(() => undefined);
            }
          }
        }
      } catch {
        // The stream broke (the gateway died, or we stopped): reconnect below.
      }
      if (this.running) await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

/**
 * Where a subscriber disagrees with the event topics: for each key, the last
 * change it received must be the key's last event (same version and
 * operation) — every acknowledged write's final state reached every
 * subscriber. Redeliveries and order within a key between reconnects are
 * allowed (at least once); only the end state is checked.
 */
export function subscriberMismatches(
  finalEvents: ReadonlyMap<string, { op: string; version: bigint }>,
  changes: readonly ReceivedChange[],
): string[] {
  const last = new Map<string, ReceivedChange>();
  for (const change of changes) last.set(`${change.table}/${change.key}`, change);
  const problems: string[] = [];
  for (const [key, event] of finalEvents) {
    const seen = last.get(key);
    if (!seen) problems.push(`${key}: never received (last event ${event.op} @ ${event.version})`);
    else if (seen.version !== event.version || seen.op !== event.op)
      problems.push(
        `${key}: last received ${seen.op} @ ${seen.version}, last event ${event.op} @ ${event.version}`,
      );
  }
  for (const key of last.keys())
    if (!finalEvents.has(key)) problems.push(`${key}: received, but no event exists`);
  return problems;
}
