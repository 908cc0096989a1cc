import { decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from './cursor';

const cursor = {
  session: 'abc',
  sequence: 7,
  offsets: new Map([
    [
      'wail.events.orders',
      new Map([
        [0, 12n],
        [2, 9_007_199_254_740_993n],
      ]),
    ],
    ['wail.events.customers', new Map([[1, 0n]])],
  ]),
};

describe('cursors', () => {
  it('read back what they encode, offsets beyond 2^53 included', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('are URL- and header-safe text', () => {
    expect(encodeCursor(cursor)).toMatch(/^c1\.[A-Za-z0-9_-]+$/);
  });

  const encoded = (value: unknown) =>
    `c1.${Buffer.from(JSON.stringify(value)).toString('base64url')}`;

  it.each([
    ['', /not a cursor/],
    ['c2.abc', /not a cursor/],
    ['c1.a b', /not a cursor/],
    ['c1.' + Buffer.from('{').toString('base64url'), /not JSON/],
    [encoded(null), /no session/],
    [encoded({ s: 'x', n: -1, o: {} }), /sequence/],
    [encoded({ s: 'x', n: 1, o: [] }), /no offsets/],
    [encoded({ s: 'x', n: 1, o: { 'bad topic': {} } }), /topic name/],
    [encoded({ s: 'x', n: 1, o: { t: { a: '1' } } }), /partition/],
    [encoded({ s: 'x', n: 1, o: { t: { 0: 1 } } }), /offset/],
    [encoded({ s: 'x', n: 1, o: { t: { 0: '-1' } } }), /offset/],
    ['c1.' + 'A'.repeat(MAX_CURSOR_LENGTH), /longer than/],
  ])('refuses %s as BAD_REQUEST', (text, why) => {
    expect(() => decodeCursor(text)).toThrow(why);
    try {
      decodeCursor(text);
    } catch (error) {
      expect((error as { code: string }).code).toBe('BAD_REQUEST');
    }
  });
});
