import type { TableRoute } from '@wail/contracts';
import type { KafkaClient } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import { MoveCoordinator } from './move-coordinator';

const moving: TableRoute = {
  table: 'parts',
  store: 'mysql',
  database: 'shop',
  physicalTable: 'parts',
  keyColumns: ['id'],
  intentTopic: 'wail.parts',
  intentCluster: 'main',
  failureMode: 'transactional',
  visibilityWindowMs: 10_000,
  revision: 4,
  modelVersion: 1,
  drainFrom: { intentCluster: 'main', intentTopic: 'wail.intents', revision: 4 },
};

function coordinator(options: { subscribed: string[]; committed: bigint[] }) {
  const resubscribed: string[][] = [];
  const kafka = {
    committedOffsets: async () =>
      new Map([['wail.intents', new Map(options.committed.map((o, p) => [p, o]))]]),
    endOffsets: async () => new Map([[0, 10n]]),
    // The drain topic reader (this route also moves into the cluster) never gets going here.
    ensureTopics: () => new Promise(() => undefined),
  } as unknown as KafkaClient;
  const subject: MoveCoordinator = new MoveCoordinator({
    cluster: 'main',
    kafka,
    group: 'g',
    consumerId: 'c',
    routes: { all: () => new Map([['parts', moving]]) },
    ownsTable: () => true,
    subscribed: () => options.subscribed,
    owned: () => new Map(),
    inPlaceWork: () => ({ active: false, lastOffset: undefined }),
    announce: async () => undefined,
    reconsider: () => undefined,
    resubscribe: () => resubscribed.push(subject.drainTopics([moving])),
    logger: silentLogger(),
  });
  return { subject, resubscribed };
}

describe('MoveCoordinator: which group drains an old topic on its own cluster', () => {
  it('the group that was reading it', async () => {
    const { subject, resubscribed } = coordinator({ subscribed: ['wail.intents'], committed: [] });
    expect(subject.drainTopics([moving])).toEqual([]);
    await subject.tick();
    expect(resubscribed).toEqual([['wail.intents']]);
  });

  it('a group that has committed offsets there (restarted mid-move)', async () => {
    const { subject } = coordinator({ subscribed: [], committed: [-1n, 17n] });
    await subject.tick();
    expect(subject.drainTopics([moving])).toEqual(['wail.intents']);
  });

  it('not a group started for the new location, which never read it', async () => {
    const { subject, resubscribed } = coordinator({ subscribed: ['wail.parts'], committed: [-1n] });
    await subject.tick();
    await subject.tick();
    expect(subject.drainTopics([moving])).toEqual([]);
    expect(resubscribed).toEqual([]);
  });
});
