import { join } from 'node:path';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  waitForClientReady,
  type Client,
  type ClientDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { waitFor } from '@wail/testing';

/** `wail.v1.Change` as a client loading the .proto with the README's options sees it. */
export interface ChangeMessage {
  cursor: string;
  table: string;
  key_json: string;
  op: 'OP_UPSERT' | 'OP_DELETE';
  version: string;
  model_version: number;
  after_json: string;
  avro: Buffer;
}

type SubscribeRequest =
  | { open: { subscription_id: string; resume_cursor?: string } }
  | {
      ack: { cursor: string };
    };

interface EventGatewayClient extends Client {
  Subscribe(metadata: Metadata): ClientDuplexStream<SubscribeRequest, ChangeMessage>;
}

// As any client would: the .proto itself, loaded at run time (no code generation step).
const definition = loadSync(join(__dirname, '..', 'proto', 'wail', 'v1', 'event_gateway.proto'), {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const { wail } = loadPackageDefinition(definition) as unknown as {
  wail: {
    v1: { EventGateway: new (address: string, creds: unknown) => EventGatewayClient };
  };
};

export async function connect(address: string): Promise<EventGatewayClient> {
  const client = new wail.v1.EventGateway(address, credentials.createInsecure());
  await new Promise<void>((resolve, reject) =>
    waitForClientReady(client, Date.now() + 20_000, (error) => (error ? reject(error) : resolve())),
  );
  return client;
}

/** One Subscribe call: what it received, and how it ended. */
export class GrpcSubscription {
  readonly changes: ChangeMessage[] = [];
  status: StatusObject | undefined;
  private readonly call: ClientDuplexStream<SubscribeRequest, ChangeMessage>;
  private readonly headers: Promise<Metadata | undefined>;
  readonly ended: Promise<StatusObject>;

  constructor(
    client: EventGatewayClient,
    open: { id: string; token?: string; resumeCursor?: string },
  ) {
    const metadata = new Metadata();
    if (open.token !== undefined) metadata.set('authorization', `Bearer ${open.token}`);
    this.call = client.Subscribe(metadata);
    this.call.on('data', (change: ChangeMessage) => this.changes.push(change));
    // A non-OK status also comes as 'error'; 'status' carries every outcome.
    this.call.on('error', () => undefined);
    this.ended = new Promise((resolve) =>
      this.call.on('status', (status: StatusObject) => resolve((this.status = status))),
    );
    this.headers = Promise.race([
      new Promise<Metadata>((resolve) => this.call.once('metadata', resolve)),
      this.ended.then(() => undefined),
    ]);
    this.call.write({
      open: {
        subscription_id: open.id,
        ...(open.resumeCursor ? { resume_cursor: open.resumeCursor } : {}),
      },
    });
  }

  /** Resolves once the stream is open (the server sent its headers); rejects with the status otherwise. */
  async opened(): Promise<Metadata> {
    const headers = await this.headers;
    if (!headers) throw new Error(`the call ended: ${JSON.stringify(this.status)}`);
    return headers;
  }

  ack(cursor: string): void {
    this.call.write({ ack: { cursor } });
  }

  /** Sends a request as is (for malformed ones). */
  send(request: SubscribeRequest): void {
    this.call.write(request);
  }

  async waitFor(count: number, timeoutMs = 30_000): Promise<ChangeMessage[]> {
    await waitFor(() => this.changes.length >= count, {
      timeoutMs,
      what: `${count} changes (have ${this.changes.length})`,
    });
    return this.changes;
  }

  async cancel(): Promise<StatusObject> {
    this.call.cancel();
    return this.ended;
  }
}
