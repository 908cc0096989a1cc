import { Readiness } from './readiness';

const up = (name: string) => ({ name, check: async () => undefined });
const down = (name: string, reason: string) => ({
  name,
  check: async () => {
    throw new Error(reason);
  },
});

describe('Readiness', () => {
  it('is ready only when every dependency is up', async () => {
    expect((await new Readiness([up('kafka'), up('mysql')]).evaluate()).ready).toBe(true);
    const report = await new Readiness([up('kafka'), down('mysql', 'refused')]).evaluate();
    expect(report.ready).toBe(false);
    expect(report.checks['mysql']).toMatchObject({ status: 'down', error: 'refused' });
    expect(report.checks['kafka']).toMatchObject({ status: 'up' });
  });

  it('counts a check that never answers as down after its timeout', async () => {
    const hung = { name: 'cassandra', check: () => new Promise<void>(() => undefined) };
    const report = await new Readiness([hung], { timeoutMs: 50 }).evaluate();
    expect(report.checks['cassandra']).toMatchObject({
      status: 'down',
      error: 'no answer within 50 ms',
    });
  });

  it('reports unready while draining even when dependencies are up', async () => {
    const readiness = new Readiness([up('kafka')], { cacheMs: 0 });
    readiness.startDraining();
    expect(await readiness.evaluate()).toMatchObject({ ready: false, draining: true });
  });

  it('reuses a recent result instead of probing again', async () => {
    let calls = 0;
    const counted = { name: 'kafka', check: async () => void calls++ };
    const readiness = new Readiness([counted], { cacheMs: 1000 });
    await readiness.evaluate(1_000);
    await readiness.evaluate(1_500);
    await readiness.evaluate(2_100);
    expect(calls).toBe(2);
  });
});
