import { TurnBatcher } from './turn-batcher';

describe('TurnBatcher', () => {
  it('runs the reads of one turn as one call per group, in chunks of at most maxBatch', async () => {
    const calls: string[][] = [];
    const batcher = new TurnBatcher<string, string>(3);
    const run = async (items: readonly string[]) => {
      calls.push([...items]);
      return items.map((item) => item.toUpperCase());
    };
    const answers = await Promise.all([
      ...['a', 'b', 'c', 'd'].map((item) => batcher.add('t1', item, run)),
      batcher.add('t2', 'x', run),
    ]);
    expect(answers).toEqual(['A', 'B', 'C', 'D', 'X']);
    expect(calls).toEqual([['a', 'b', 'c'], ['d'], ['x']]);
    // A later turn is a new call.
    expect(await batcher.add('t1', 'e', run)).toBe('E');
    expect(calls.at(-1)).toEqual(['e']);
  });

  it('fails every read of a chunk whose call fails or answers the wrong count, and only those', async () => {
    const batcher = new TurnBatcher<number, number>(2);
    const failing = batcher.add('bad', 1, () => Promise.reject(new Error('down')));
    const short = batcher.add('short', 1, async () => []);
    const thrown = batcher.add('thrown', 1, () => {
      throw new Error('sync');
    });
    const fine = batcher.add('fine', 2, async (items) => items.map((n) => n * 10));
    await expect(failing).rejects.toThrow('down');
    await expect(short).rejects.toThrow('answered 0 of 1');
    await expect(thrown).rejects.toThrow('sync');
    await expect(fine).resolves.toBe(20);
  });

  it('refuses a batch size below one', () => {
    expect(() => new TurnBatcher(0)).toThrow(RangeError);
  });
});
