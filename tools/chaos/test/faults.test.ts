import { createServer } from 'node:net';
import { listeningPid } from '../src/faults';

describe('the MySQL restart fault', () => {
  it('finds the process of a port by what listens on it (only that server is killed, not every mariadbd)', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(listeningPid(port)).toBe(process.pid);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(listeningPid(port)).toBeUndefined();
  });
});
