import { isWailError } from '@wail/errors';
import { loadConfig } from './config';

function startUpError(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (error) {
    if (isWailError(error)) return error;
    throw error;
  }
  throw new Error('expected a CONFIG_INVALID');
}

describe('WAIL_CONSUMER_TABLES', () => {
  it('defaults to every table', () => {
    expect(loadConfig({}).tables.isEverything).toBe(true);
    expect(loadConfig({ WAIL_CONSUMER_TABLES: '' }).tables.isEverything).toBe(true);
  });

  it('limits the consumer to the tables it names', () => {
    const { tables } = loadConfig({ WAIL_CONSUMER_TABLES: 'orders,cart_*' });
    expect(tables.has('orders')).toBe(true);
    expect(tables.has('cart_items')).toBe(true);
    expect(tables.has('customers')).toBe(false);
  });

  it('refuses to start on a set outside the grammar, naming the variable and the entry', () => {
    const error = startUpError({ WAIL_CONSUMER_TABLES: 'orders,shop.cart' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('WAIL_CONSUMER_TABLES');
    expect(error.message).toContain('"shop.cart"');
  });
});
