import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Cursor } from '../delivery/cursor';
import type { Delivery, DeliverySink } from '../delivery/subscription-reader';
import type { Gateway } from '../gateway';

/**
 * Serves one subscription as Server-Sent Events: `id:` is the change's
 * cursor, `event: change`, `data:` the change as JSON. A comment line keeps
 * an idle connection open through proxies. Writes wait for the socket to
 * drain, so a slow client slows only its own stream. The stream ends when
 * the client goes, or when another stream of the subscription takes over.
 */
export async function serveEvents(
  gateway: Gateway,
  id: string,
  resumeFrom: Cursor | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
  heartbeatMs: number,
): Promise<void> {
  const raw: ServerResponse = reply.raw;
  let closed = false;
  const sink: DeliverySink = {
    async deliver(delivery: Delivery) {
      if (closed) return;
      const frame = `id: ${delivery.cursor}\nevent: change\ndata: ${JSON.stringify(delivery.change)}\n\n`;
      if (!raw.write(frame) && !closed) {
        // Both waits end together: a listener left behind per wait would pile up on a long stream.
        const done = new AbortController();
        await Promise.race([
          once(raw, 'drain', { signal: done.signal }),
          once(raw, 'close', { signal: done.signal }),
        ]).catch(() => undefined);
        done.abort();
      }
    },
  };
  // Taken over, deleted or stopping: the socket goes at once, so a stalled client cannot hold the stream.
  const end = () => {
    if (closed) return;
    closed = true;
    raw.destroy();
  };
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(`retry: 2000\n: subscription ${id}\n\n`);
  const reader = await gateway.openStream(id, sink, end, resumeFrom).catch((error: unknown) => {
    request.log.warn({ err: error, subscription: id }, 'stream did not start');
    end();
    return undefined;
  });
  if (!reader) return;
  const heartbeat = setInterval(() => {
    if (!closed) raw.write(': keep-alive\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  const finish = () => {
    clearInterval(heartbeat);
    closed = true;
    void gateway.closeStream(id, reader);
  };
  if (raw.destroyed || raw.writableEnded) finish();
  else raw.once('close', finish);
}
