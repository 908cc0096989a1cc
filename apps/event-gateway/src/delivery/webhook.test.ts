import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@wail/telemetry';
import { waitFor } from '@wail/testing';
import type { Subscription } from '../subscriptions/subscription';
import type { GatewayMetrics } from './metrics';
import type { Delivery } from './subscription-reader';
import { WebhookSink, backoff, signature, webhookUrlProblem } from './webhook';

const settings = {
  batch: 100,
  lingerMs: 20,
  timeoutMs: 1000,
  maxAttempts: 5,
  backoffMs: 500,
  maxBackoffMs: 4000,
};

describe('webhook retries', () => {
  it('double from the first delay up to the longest, with equal jitter', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoff(n, settings, () => 1))).toEqual([
      500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect([1, 2, 3, 4].map((n) => backoff(n, settings, () => 0))).toEqual([250, 500, 1000, 2000]);
  });
});

describe('webhook signatures', () => {
  it('are the hex HMAC-SHA256 of the body with the secret', () => {
    // RFC 4231 test case 2.
    expect(signature('Jefe', 'what do ya want for nothing?')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('webhook URLs', () => {
  it.each(['https://hooks.example.com/wail', 'http://127.0.0.1:9000/h', 'http://[::1]:80/'])(
    'accepts %s',
    (url) => expect(webhookUrlProblem(url)).toBeUndefined(),
  );

  it.each([
    ['not a url', /not a URL/],
    ['ftp://example.com/', /http/],
    ['file:///etc/passwd', /http/],
    ['https://user:pw@example.com/', /credentials/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[fd00:ec2::254]/', /link-local/],
    ['http://0.0.0.0:8080/', /unspecified/],
    ['http://[::]:8080/', /unspecified/],
  ])('refuses %s', (url, why) => expect(webhookUrlProblem(url)).toMatch(why));
});

describe('webhook batches', () => {
  it('never carry more than the batch size, however many callers add at once', async () => {
    const bodies: { changes: unknown[] }[] = [];
    const server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        bodies.push(JSON.parse(text) as { changes: unknown[] });
        // Slow: every caller arriving meanwhile waits behind this call.
        setTimeout(() => response.end(), 30);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const acked: string[] = [];
    const sink = new WebhookSink({
      subscription: {
        id: 'sub_test',
        webhook: { url: `http://127.0.0.1:${port}/hook`, secret: 's' },
      } as unknown as Subscription,
      settings: { ...settings, batch: 3, lingerMs: 5 },
      metrics: {
        webhookCalls: { inc: () => undefined },
        deadLettered: { inc: () => undefined },
      } as unknown as GatewayMetrics,
      logger: silentLogger(),
      ack: async (cursor) => void acked.push(cursor),
      deadLetter: async () => true,
    });
    try {
      const delivery = (n: number) =>
        ({ change: { table: 't', key: { id: n } }, cursor: `c${n}` }) as unknown as Delivery;
      await Promise.all(Array.from({ length: 20 }, (_, n) => sink.deliver(delivery(n))));
      await waitFor(() => acked.includes('c19'), { timeoutMs: 5000, what: 'every change acked' });
      expect(bodies.flatMap((body) => body.changes)).toHaveLength(20);
      expect(Math.max(...bodies.map((body) => body.changes.length))).toBeLessThanOrEqual(3);
    } finally {
      sink.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
