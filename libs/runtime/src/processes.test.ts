import { processAlive } from './processes';

describe('processAlive', () => {
  it('knows this process and not a pid past the largest', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(4_194_304)).toBe(false);
  });
});
