// node grpc-client.mjs <subscription id> <token>: prints each change, acknowledges it.
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [id, token] = process.argv.slice(2);
const proto = fileURLToPath(new URL('../proto/wail/v1/event_gateway.proto', import.meta.url));
const options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const { wail } = grpc.loadPackageDefinition(protoLoader.loadSync(proto, options));
const address = process.env.WAIL_GATEWAY_GRPC ?? '127.0.0.1:8084';
const client = new wail.v1.EventGateway(address, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
metadata.set('authorization', `Bearer ${token}`);
const call = client.Subscribe(metadata);
call.write({ open: { subscription_id: id } }); // resume_cursor: the last cursor you processed
call.on('data', (change) => {
  console.log(change.table, change.op, change.key_json, change.after_json);
  call.write({ ack: { cursor: change.cursor } }); // acks are cumulative: one per batch will do
});
call.on('error', (error) => {
  console.error(grpc.status[error.code], error.details);
  process.exit(1);
});
