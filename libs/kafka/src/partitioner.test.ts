import { randomBytes } from 'node:crypto';
import { murmur2, partitionForKey } from './partitioner';

// kafkajs's own (quadratic) murmur2: the reference for equal results on small keys.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer,
) => number;

describe('murmur2', () => {
  // The Java client's own test vectors (UtilsTest.testMurmur2).
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s as the Java client does', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it('agrees with kafkajs on random keys of every length up to 300 bytes', () => {
    for (let length = 0; length <= 300; length++) {
      for (let round = 0; round < 5; round++) {
        const key = randomBytes(length);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }
    }
  });

  it('puts a key on the partition kafkajs would', () => {
    for (let i = 0; i < 1000; i++) {
      const key = randomBytes(1 + (i % 64));
      expect(partitionForKey(key, 12)).toBe((kafkajsMurmur2(key) & 0x7fffffff) % 12);
    }
  });

  it('hashes a 1 MB key in linear time', () => {
    const key = randomBytes(1_048_576);
    const started = performance.now();
    murmur2(key);
    const elapsed = performance.now() - started;
    // kafkajs needs minutes for this key; a linear hash needs milliseconds.
    process.stdout.write(`murmur2 of 1 MiB: ${elapsed.toFixed(1)} ms\n`);
    expect(elapsed).toBeLessThan(5000);
  });
});
