import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { TlsFiles } from '@wail/config';
import type { Logger } from '@wail/telemetry';
import type { Gateway } from '../gateway';
import type { GatewayAuth } from '../http/auth';
import { MAX_CURSOR_LENGTH } from '../delivery/cursor';
import { eventGatewayService } from './proto';
import { SubscribeCall, type SubscribeStream } from './subscribe-call';

export interface GrpcServerOptions {
  gateway: Gateway;
  auth: GatewayAuth;
  host: string;
  /** 0 picks a free port (tests); the one bound is returned. */
  port: number;
  logger: Logger;
  /** Serve gRPC over TLS with this certificate and key (no client certificates); undefined: plaintext. */
  tls?: TlsFiles | undefined;
  /** A call that sends no `open` in this time is ended; default 10 s. */
  openTimeoutMs?: number;
  /** How long stop() waits for calls to receive their status before cutting them; default 5 s. */
  stopTimeoutMs?: number;
}

export interface RunningGrpcServer {
  port: number;
  /** Ends every call (UNAVAILABLE: resume elsewhere or later with the last cursor) and closes the port. */
  stop(): Promise<void>;
}

/** Requests are an open or an ack, each carrying at most one cursor: nothing legitimate is larger. */
const MAX_REQUEST_BYTES = MAX_CURSOR_LENGTH + 4096;

/**
 * The gateway's gRPC listener: `wail.v1.EventGateway` (proto/wail/v1/
 * event_gateway.proto), over TLS with the HTTP listener's certificate and key
 * when given, else plaintext HTTP/2. Keepalive pings find clients that
 * vanished without closing their connection, so their streams end and the
 * subscription can be taken up again.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const logger = options.logger.child({ component: 'grpc' });
  const server = new Server({
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  const calls = new Set<SubscribeCall>();
  let stopped: Promise<void> | undefined;
  server.addService(eventGatewayService(), {
    Subscribe(call: SubscribeStream) {
      const subscribe = new SubscribeCall(call, {
        gateway: options.gateway,
        auth: options.auth,
        logger,
        openTimeoutMs: options.openTimeoutMs ?? 10_000,
      });
      if (stopped) {
        subscribe.end({ code: status.UNAVAILABLE, details: 'the gateway is stopping' });
        return;
      }
      calls.add(subscribe);
      void subscribe.whenClosed().then(() => calls.delete(subscribe));
    },
  });
  const address = options.host.includes(':')
    ? `[${options.host}]:${options.port}`
    : `${options.host}:${options.port}`;
  const credentials = options.tls
    ? ServerCredentials.createSsl(null, [
        { private_key: options.tls.key, cert_chain: options.tls.cert },
      ])
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  logger.info({ host: options.host, port, tls: options.tls !== undefined }, 'gRPC listening');
  async function stop(): Promise<void> {
    const open = [...calls];
    for (const call of open)
      call.end({
        code: status.UNAVAILABLE,
        details:
          'the gateway is stopping: subscribe again (to another instance) with your last cursor',
      });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.stopTimeoutMs ?? 5000);
    });
    const drained = Promise.all(open.map((call) => call.whenClosed())).then(
      () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    );
    if ((await Promise.race([drained, timeout])) === 'timeout') {
      logger.warn({ calls: calls.size }, 'gRPC calls cut at stop');
      server.forceShutdown();
    }
    clearTimeout(timer);
  }
  return { port, stop: () => (stopped ??= stop()) };
}
