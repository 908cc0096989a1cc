import { TableSet } from './table-set';

describe('TableSet', () => {
  it('holds every table by default', () => {
    const set = TableSet.parse('*');
    expect(set.isEverything).toBe(true);
    expect(set.has('orders')).toBe(true);
    expect(TableSet.everything.has('anything_at_all')).toBe(true);
  });

  it('holds exactly the tables named, case-sensitively', () => {
    const set = TableSet.parse('orders, customers');
    expect(set.has('orders')).toBe(true);
    expect(set.has('customers')).toBe(true);
    expect(set.has('Orders')).toBe(false);
    expect(set.has('orders_archive')).toBe(false);
    expect(set.has('order')).toBe(false);
    expect(set.isEverything).toBe(false);
  });

  it('matches a star against any run of characters, the empty one included', () => {
    const set = TableSet.parse('cart_*,*_log,a*b');
    expect(set.has('cart_')).toBe(true);
    expect(set.has('cart_items')).toBe(true);
    expect(set.has('audit_log')).toBe(true);
    expect(set.has('ab')).toBe(true);
    expect(set.has('a_x_b')).toBe(true);
    expect(set.has('cart')).toBe(false);
    expect(set.has('log')).toBe(false);
    expect(set.has('abc')).toBe(false);
  });

  it('holds every table but the excluded ones when it only excludes', () => {
    const set = TableSet.parse('!orders,!cart_*');
    expect(set.has('customers')).toBe(true);
    expect(set.has('orders')).toBe(false);
    expect(set.has('cart_items')).toBe(false);
    expect(set.isEverything).toBe(false);
  });

  it('lets an exclusion win over an inclusion', () => {
    const set = TableSet.parse('cart_*,!cart_archive');
    expect(set.has('cart_items')).toBe(true);
    expect(set.has('cart_archive')).toBe(false);
    expect(set.has('orders')).toBe(false);
  });

  it('gives a table set and its exclusion disjoint halves of every table', () => {
    const noisy = TableSet.parse('orders');
    const rest = TableSet.parse('!orders');
    for (const table of ['orders', 'orders2', 'customers', 'cart_items', 'o'])
      expect(Number(noisy.has(table)) + Number(rest.has(table))).toBe(1);
  });

  it.each([
    ['', 'an entry is empty'],
    ['orders,', 'an entry is empty'],
    ['orders,,customers', 'an entry is empty'],
    ['!', '"!"'],
    ['shop.orders', '"shop.orders"'],
    ['cart-items', '"cart-items"'],
    ['cart?', '"cart?"'],
    ['[ab]', '"[ab]"'],
    ['orders customers', '"orders customers"'],
    ['!!orders', '"!!orders"'],
    ['or!ders', '"or!ders"'],
    ['ordérs', '"ordérs"'],
    ['x'.repeat(129), 'at most 128'],
    ['!*', 'excludes every table'],
    ['orders,!**', 'excludes every table'],
  ])('refuses %j', (text, message) => {
    expect(() => TableSet.parse(text)).toThrow(RangeError);
    expect(() => TableSet.parse(text)).toThrow(message);
  });

  it('reads back as its entries', () => {
    expect(TableSet.parse(' orders , !cart_* ').toString()).toBe('orders,!cart_*');
  });
});
