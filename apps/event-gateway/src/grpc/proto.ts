import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** The service's file, relative to the proto root (its package path). */
export const PROTO_FILE = 'wail/v1/event_gateway.proto';

/**
 * How the messages look in JavaScript, on the server and in the tests'
 * client: field names as in the .proto, the op enum as its name, int64 as
 * decimal text (no precision lost), bytes as a Buffer, unset fields as their
 * defaults, and the name of the oneof's set field (`request: 'open' | 'ack'`).
 */
export const LOADER_OPTIONS: Options = {
  keepCase: true,
  enums: String,
  longs: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

/**
 * The proto root: `apps/event-gateway/proto` when run from the sources, the
 * bundle's `proto` asset folder beside `dist/main.js` when run as built.
 */
export function protoRoot(): string {
  const candidates = [join(__dirname, '..', '..', 'proto'), join(__dirname, 'proto')];
  const found = candidates.find((dir) => existsSync(join(dir, PROTO_FILE)));
  if (!found) throw new Error(`${PROTO_FILE} not found under ${candidates.join(' or ')}`);
  return found;
}

/** The `wail.v1.EventGateway` service definition, loaded from the .proto. */
export function eventGatewayService(): ServiceDefinition {
  const definition = loadSync(PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const grpcObject = loadPackageDefinition(definition) as unknown as {
    wail: { v1: { EventGateway: { service: ServiceDefinition } } };
  };
  return grpcObject.wail.v1.EventGateway.service;
}
