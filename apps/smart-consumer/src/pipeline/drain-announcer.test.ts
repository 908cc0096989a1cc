import type { TableRoute } from '@wail/contracts';
import { silentLogger } from '@wail/telemetry';
import { DrainAnnouncer } from './drain-announcer';
import type { DrainMarker } from './moves';

const moved = (table: string, from = 'main'): TableRoute => ({
  table,
  store: 'mysql',
  database: 'shop',
  physicalTable: table,
  keyColumns: ['id'],
  intentTopic: `${table}.hot`,
  intentCluster: 'hot',
  failureMode: 'transactional',
  visibilityWindowMs: 10_000,
  revision: 9,
  modelVersion: 1,
  drainFrom: { intentCluster: from, intentTopic: 'wail.intents', revision: 9 },
});

function announcer(options: {
  routes: TableRoute[];
  owned: number[];
  committed: Record<number, bigint>;
  work: Record<number, { active: boolean; lastOffset: bigint | undefined }>;
  owns?: (table: string) => boolean;
}) {
  const announced: [string, DrainMarker][] = [];
  const subject = new DrainAnnouncer({
    cluster: 'main',
    group: 'g',
    kafka: {
      endOffsets: () => Promise.resolve(new Map([0, 1, 2].map((p) => [p, 100n]))),
      committedOffsets: () =>
        Promise.resolve(
          new Map([
            [
              'wail.intents',
              new Map(Object.entries(options.committed).map(([p, o]) => [Number(p), o])),
            ],
          ]),
        ),
    },
    routes: { all: () => new Map(options.routes.map((route) => [route.table, route])) },
    ownsTable: options.owns ?? (() => true),
    owned: () => new Map([['wail.intents', new Set(options.owned)]]),
    inPlaceWork: (_topic, partition) =>
      options.work[partition] ?? { active: false, lastOffset: undefined },
    announce: (cluster, marker) => {
      announced.push([cluster, marker]);
      return Promise.resolve();
    },
    logger: silentLogger(),
  });
  return { subject, announced, options };
}

describe('DrainAnnouncer', () => {
  it('announces each owned partition once nothing of the table is in place there and the group committed past it', async () => {
    const { subject, announced, options } = announcer({
      routes: [moved('items')],
      owned: [0, 2],
      committed: { 0: 50n, 2: 10n },
      work: { 0: { active: false, lastOffset: 49n }, 2: { active: true, lastOffset: 12n } },
    });
    await subject.tick();
    expect(announced).toEqual([
      [
        'hot',
        {
          table: 'items',
          revision: 9,
          from: { intentCluster: 'main', intentTopic: 'wail.intents' },
          partition: 0,
          partitions: 3,
        },
      ],
    ]);
    // Partition 2: its round finished, but its offset is not committed yet.
    options.work[2] = { active: false, lastOffset: 12n };
    await subject.tick();
    expect(announced).toHaveLength(1);
    options.committed[2] = 13n;
    await subject.tick();
    await subject.tick();
    expect(announced.map(([, marker]) => marker.partition)).toEqual([0, 2]);
  });

  it('leaves moves from other clusters and tables of other groups alone', async () => {
    const { subject, announced } = announcer({
      routes: [moved('items', 'cold'), moved('audit')],
      owned: [0],
      committed: {},
      work: {},
      owns: (table) => table === 'items',
    });
    await subject.tick();
    expect(announced).toEqual([]);
  });
});
