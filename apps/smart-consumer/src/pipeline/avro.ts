// The Confluent wire format of events, declared with the envelope in @wail/contracts.
export { toWireFormat } from '@wail/contracts';
