import { intentIdFromString, type Intent } from '@wail/intent';
import { intentJson } from './intent-json';

describe('intentJson', () => {
  it('shows ids as text, 64-bit timestamps as strings, key values as JSON', () => {
    const intent: Intent = {
      intentId: intentIdFromString('01a21e40-0000-7000-8000-000000000001'),
      table: 'orders',
      op: 'delete',
      key: [
        { name: 'small', value: 42n },
        { name: 'big', value: 9007199254740993n },
        { name: 'name', value: 'ada' },
        { name: 'blob', value: new Uint8Array([1, 2, 3]) },
        { name: 'none', value: null },
      ],
      ts: 1795803883151085n,
      proxyId: 'proxy-1',
      columns: ['status'],
    };
    expect(JSON.stringify(intentJson(intent))).toBe(
      JSON.stringify({
        intentId: '01a21e40-0000-7000-8000-000000000001',
        table: 'orders',
        op: 'delete',
        key: { small: 42, big: '9007199254740993', name: 'ada', blob: 'AQID', none: null },
        ts: '1795803883151085',
        proxyId: 'proxy-1',
      }),
    );
  });
});
