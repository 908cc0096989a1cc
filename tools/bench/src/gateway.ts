import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type Client,
  type ClientDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  json,
  cpuSeconds,
  rssKb,
  sleep,
  startPipeline,
  stopPipeline,
  topicEnd,
  writeLoad,
  type Pipeline,
} from './gateway-pipeline';
import { quantile, record, repoRoot, say } from './harness';

/**
 * The event gateway benchmark (SSE, webhooks, gRPC), on one MySQL table against the local stack:
 *
 * 1. a quick first measurement: how many events/s the pipeline (proxy → consumer
 *    → event topic) sustains here under batch writes at full speed;
 * 2. for each delivery and N of --subscriptions: N subscriptions of the table,
 *    a fixed write load of half that rate offered through the proxy (batches);
 *    SSE and gRPC subscribers ack every 100 changes or 200 ms (gRPC: on the
 *    Subscribe stream, each subscriber on its own connection as each SSE
 *    stream is), webhooks answer 200. Per N: changes/s
 *    delivered in total and per subscription, per subscription ÷ events/s on
 *    the topic (the consumer's output: the physical limit), p50/p99 from the
 *    write's acknowledgement to delivery, and the gateway's RSS per stream.
 *
 * Usage: npx tsx tools/bench/src/gateway.ts [--duration 10] [--subscriptions 1,10,100]
 *        [--delivery sse|webhook|grpc, or a list such as sse,webhook,grpc] [--batch 50]
 */
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    subscriptions: { type: 'string', default: '1,10,100' },
    delivery: { type: 'string', default: 'sse' },
    batch: { type: 'string', default: '50' },
  },
});
const DELIVERIES = ['sse', 'webhook', 'grpc'] as const;
type Delivery = (typeof DELIVERIES)[number];
const deliveries = values.delivery!.split(',') as Delivery[];
if (!deliveries.every((delivery) => DELIVERIES.includes(delivery)))
  throw new Error('--delivery is sse, webhook, grpc or a comma-separated list of them');
const duration = Number(values.duration);
const counts = values.subscriptions!.split(',').map(Number);
const batchSize = Number(values.batch);

/** What one subscriber received: a count, and each change's delay since its write's ack. */
class Tally {
  delivered = 0;
  firstSeen = false;
  latencies: number[] = [];

  constructor(private readonly acks: Map<number, number>) {}

  change(version: number, now: number): void {
    this.firstSeen = true;
    this.delivered++;
    const ackedAt = this.acks.get(version);
    if (ackedAt !== undefined) this.latencies.push(now - ackedAt);
  }

  reset(): void {
    this.delivered = 0;
    this.latencies = [];
  }
}

interface Subscriber {
  tally: Tally;
  close(): Promise<void>;
}

/** The SSE and gRPC subscribers' acks: the last cursor received, after 100 changes or 200 ms. */
class Acknowledger {
  private lastCursor = '';
  private unacked = 0;
  private readonly timer = setInterval(() => void this.flush(), 200);

  constructor(private readonly send: (cursor: string) => Promise<void> | void) {}

  received(cursor: string): void {
    this.lastCursor = cursor;
    if (++this.unacked >= 100) void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.unacked === 0) return;
    this.unacked = 0;
    await this.send(this.lastCursor);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** One SSE subscriber: reads frames as they come, acks over HTTP. */
class SseSubscriber implements Subscriber {
  private readonly controller = new AbortController();
  private acks: Acknowledger | undefined;
  private done: Promise<void> = Promise.resolve();

  constructor(
    readonly tally: Tally,
    private readonly url: string,
    private readonly token: string,
  ) {}

  async open(): Promise<this> {
    const response = await fetch(`${this.url}/events`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${this.token}` },
      signal: this.controller.signal,
    });
    if (!response.ok || !response.body) throw new Error(`stream: ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const acks = (this.acks = new Acknowledger((cursor) => this.ack(cursor)));
    this.done = (async () => {
      let buffer = '';
      try {
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          buffer += read.value;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            this.frame(buffer.slice(0, end), acks);
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // aborted
      }
    })();
    return this;
  }

  private frame(frame: string, acks: Acknowledger): void {
    const id = /^id: (.*)$/m.exec(frame)?.[1];
    const version = /"version":(\d+)/.exec(frame)?.[1];
    if (id === undefined || version === undefined) return;
    this.tally.change(Number(version), performance.now());
    acks.received(id);
  }

  private async ack(cursor: string): Promise<void> {
    await fetch(`${this.url}/ack`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ cursor }),
    }).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.acks?.stop();
    this.controller.abort();
    await this.done;
  }
}

/** `wail.v1.Change` with the loader options below: the fields the bench reads (int64 as decimal text). */
interface ChangeMessage {
  cursor: string;
  version: string;
}

type SubscribeRequest = { open: { subscription_id: string } } | { ack: { cursor: string } };

interface EventGatewayClient extends Client {
  Subscribe(metadata: Metadata): ClientDuplexStream<SubscribeRequest, ChangeMessage>;
}

type EventGatewayConstructor = new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
  options: Record<string, unknown>,
) => EventGatewayClient;

let eventGateway: EventGatewayConstructor | undefined;

/** The `wail.v1.EventGateway` client class, from the .proto at run time, as a client would load it. */
function eventGatewayClass(): EventGatewayConstructor {
  if (eventGateway) return eventGateway;
  const proto = join(repoRoot, 'apps/event-gateway/proto/wail/v1/event_gateway.proto');
  const definition = loadSync(proto, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = loadPackageDefinition(definition) as unknown as {
    wail: { v1: { EventGateway: EventGatewayConstructor } };
  };
  return (eventGateway = loaded.wail.v1.EventGateway);
}

/** One gRPC subscriber: one Subscribe call on its own connection, acks on the stream. */
class GrpcSubscriber implements Subscriber {
  private readonly client: EventGatewayClient;
  private call: ClientDuplexStream<SubscribeRequest, ChangeMessage> | undefined;
  private acks: Acknowledger | undefined;
  private ended: Promise<StatusObject> | undefined;

  constructor(
    readonly tally: Tally,
    address: string,
    private readonly id: string,
    private readonly token: string,
  ) {
    // A local subchannel pool: a connection of its own, not one shared by every subscriber.
    this.client = new (eventGatewayClass())(address, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  async open(): Promise<this> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.token}`);
    const call = (this.call = this.client.Subscribe(metadata));
    const acks = (this.acks = new Acknowledger((cursor) => void call.write({ ack: { cursor } })));
    // A non-OK status also comes as 'error'; 'status' carries every outcome.
    call.on('error', () => undefined);
    const ended = (this.ended = new Promise((resolve) => call.on('status', resolve)));
    call.on('data', (change: ChangeMessage) => {
      this.tally.change(Number(change.version), performance.now());
      acks.received(change.cursor);
    });
    call.write({ open: { subscription_id: this.id } });
    // The server sends its headers once the stream is open.
    const opened = await Promise.race([
      new Promise<true>((resolve) => call.once('metadata', () => resolve(true))),
      ended,
    ]);
    if (opened !== true) {
      acks.stop();
      throw new Error(`subscribe ${this.id}: ${status[opened.code]} ${opened.details}`);
    }
    return this;
  }

  async close(): Promise<void> {
    this.acks?.stop();
    this.call?.cancel();
    await this.ended;
    this.client.close();
  }
}

/** One HTTP server in the bench process receiving every webhook subscription's batches (`/hook/<i>`), answering 200. */
async function webhookReceiver(tallies: Tally[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const now = performance.now();
      const tally = tallies[Number(request.url?.split('/')[2])];
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        changes: { version: number }[];
      };
      for (const change of body.changes) tally?.change(change.version, now);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function run(
  pipeline: Pipeline,
  delivery: Delivery,
  n: number,
  rate: number,
): Promise<[string, string][]> {
  const gatewayUrl = pipeline.gateway.url;
  const pid = pipeline.gateway.child.pid!;
  await sleep(1000);
  const rssBefore = rssKb(pid);
  const acks = new Map<number, number>();
  const tallies = Array.from({ length: n }, () => new Tally(acks));
  const receiver = delivery === 'webhook' ? await webhookReceiver(tallies) : undefined;
  const subscribers: Subscriber[] = [];
  const ids: string[] = [];
  for (const [i, tally] of tallies.entries()) {
    const response = await fetch(`${gatewayUrl}/v1/subscriptions`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        name: `bench-${delivery}-${n}-${i}`,
        tables: ['items'],
        start: 'latest',
        delivery,
        ...(receiver
          ? { webhook: { url: `${receiver.url}/hook/${i}`, secret: 'bench-secret-0123456789' } }
          : {}),
      }),
    });
    const body = (await response.json()) as { id: string; token: string };
    if (response.status !== 201) throw new Error(`subscribe: ${JSON.stringify(body)}`);
    ids.push(body.id);
    const url = `${gatewayUrl}/v1/subscriptions/${body.id}`;
    subscribers.push(
      receiver
        ? { tally, close: async () => undefined }
        : delivery === 'grpc'
          ? await new GrpcSubscriber(
              tally,
              pipeline.gateway.grpcAddress!,
              body.id,
              body.token,
            ).open()
          : await new SseSubscriber(tally, url, body.token).open(),
    );
  }
  // Warm-up: write until every subscription has seen a change (its cursor group is positioned).
  const warmUpStarted = performance.now();
  while (!tallies.every((tally) => tally.firstSeen)) {
    if (performance.now() - warmUpStarted > 90_000) throw new Error('streams not positioned');
    await writeLoad(pipeline, batchSize, 0.5, new Map(), 100);
  }
  const warmUpSeconds = (performance.now() - warmUpStarted) / 1000;
  await sleep(2000);
  for (const tally of tallies) tally.reset();
  say(`${n} ${delivery}: positioned in ${warmUpSeconds.toFixed(1)} s; load…`);
  let rssDuring = 0;
  const sampler = setInterval(() => (rssDuring = Math.max(rssDuring, rssKb(pid))), 500);
  const endBefore = await topicEnd(pipeline);
  const [gatewayCpuBefore, benchCpuBefore] = [cpuSeconds(pid), process.cpuUsage()];
  const started = performance.now();
  const written = await writeLoad(pipeline, batchSize, duration, acks, rate);
  const seconds = (performance.now() - started) / 1000;
  const events = (await topicEnd(pipeline)) - endBefore;
  const gatewayCores = (cpuSeconds(pid) - gatewayCpuBefore) / seconds;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const benchCores = (benchCpu.user + benchCpu.system) / 1e6 / seconds;
  const deliveredInWindow = tallies.reduce((sum, tally) => sum + tally.delivered, 0);
  // Grace: let the gateway finish what is on the topic (bounded), for the latencies.
  const graceStarted = performance.now();
  let expected = events;
  while (performance.now() - graceStarted < 15_000) {
    expected = (await topicEnd(pipeline)) - endBefore;
    if (tallies.every((tally) => tally.delivered >= expected)) break;
    await sleep(250);
  }
  clearInterval(sampler);
  const deliveredAll = tallies.reduce((sum, tally) => sum + tally.delivered, 0);
  const latencies = tallies.flatMap((tally) => tally.latencies).sort((a, b) => a - b);
  await Promise.all(subscribers.map((subscriber) => subscriber.close()));
  await Promise.all(
    ids.map((id) => fetch(`${gatewayUrl}/v1/subscriptions/${id}`, { method: 'DELETE' })),
  );
  await receiver?.close();
  const topicRate = events / seconds;
  const total = deliveredInWindow / seconds;
  const perSubscription = total / n;
  const label = `${n} ${delivery}`;
  say(
    `${label}: ${Math.round(total)} changes/s, ${Math.round(perSubscription)}/s each, topic ${Math.round(topicRate)}/s`,
  );
  return [
    [
      `${label}: offered ${rate} writes/s (${written} acknowledged in ${seconds.toFixed(1)} s)`,
      `topic ${Math.round(topicRate)} events/s`,
    ],
    [
      `${label}: delivered in the window, total / per subscription`,
      `${Math.round(total)} / ${Math.round(perSubscription)} changes/s; per subscription ÷ topic ${(perSubscription / topicRate).toFixed(2)}×`,
    ],
    [
      `${label}: write ack → delivery`,
      `p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms (${latencies.length} timed; ${deliveredAll} of ${expected * n} delivered after ≤ 15 s grace)`,
    ],
    [
      `${label}: gateway RSS before → peak while delivering`,
      `${Math.round(rssBefore / 1024)} → ${Math.round(rssDuring / 1024)} MiB, ${((rssDuring - rssBefore) / n).toFixed(0)} KiB per subscription`,
    ],
    [
      `${label}: CPU in the window, gateway / bench (load + subscribers)`,
      `${gatewayCores.toFixed(2)} / ${benchCores.toFixed(2)} cores`,
    ],
  ];
}

async function main(): Promise<void> {
  const pipeline = await startPipeline();
  const rows: [string, string][] = [];
  try {
    say('quick first measurement: batch writes at full speed, events/s on the topic…');
    const acks = new Map<number, number>();
    await writeLoad(pipeline, batchSize, 2, acks);
    const endBefore = await topicEnd(pipeline);
    const started = performance.now();
    const written = await writeLoad(pipeline, batchSize, 6, acks);
    const sustained =
      ((await topicEnd(pipeline)) - endBefore) / ((performance.now() - started) / 1000);
    const rate = Math.max(batchSize, Math.round(sustained / 2 / batchSize) * batchSize);
    rows.push([
      'pipeline at full speed (8 × batches of 50, 6 s)',
      `${Math.round(sustained)} events/s on the topic (${Math.round(written / 6)} writes/s acknowledged) → offered load ${rate} writes/s`,
    ]);
    say(rows[0]![1]);
    const drainStarted = performance.now();
    let last = -1;
    for (let end = await topicEnd(pipeline); end !== last; end = await topicEnd(pipeline)) {
      if (performance.now() - drainStarted > 60_000) break;
      last = end;
      await sleep(2000);
    }
    for (const delivery of deliveries)
      for (const n of counts) rows.push(...(await run(pipeline, delivery, n, rate)));
  } finally {
    await stopPipeline(pipeline);
  }
  for (const [measure, value] of rows) say(`${measure.padEnd(70)} ${value}`);
  record(
    `Event gateway (${deliveries.join(', ')}; mysql)`,
    `npx tsx tools/bench/src/gateway.ts --duration ${duration} --subscriptions ${counts.join(',')} --delivery ${deliveries.join(',')} --batch ${batchSize}`,
    rows,
    [
      'Load generator, subscribers, the four services, Kafka and MariaDB share the same 2 cores.',
      'SSE and gRPC subscribers acknowledge every 100 changes or 200 ms (gRPC on the stream, one connection per subscriber); webhooks answer 200 at once. Latency: the proxy’s acknowledgement of the write → the change at the subscriber.',
      'RSS per subscription: (peak VmRSS of the gateway while N deliver − VmRSS before the N subscriptions) ÷ N; the first N also pays one-off warm-up (JIT, buffers).',
      'Rates are over the load window only; "delivered after grace" counts what arrived up to 15 s after the load stopped.',
    ],
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
