import { crashedPredecessors, processAlive, type ConsumerIdentity } from './predecessors';

const self: ConsumerIdentity = {
  clientId: 'wail-consumer-host-a:300',
  host: 'host-a',
  pid: 300,
  isAlive: (pid) => pid === 300 || pid === 301,
};
const member = (clientId: string, memberId = `${clientId}-uuid`) => ({
  memberId,
  clientId,
  clientHost: '/127.0.0.1',
});

describe('crashedPredecessors', () => {
  it('takes members named by this host and a pid that no longer runs, and its own name', () => {
    expect(
      crashedPredecessors(
        [
          member('wail-consumer-host-a:299'), // dead here
          member('wail-consumer-host-a:300', 'same-pid'), // a restarted container's predecessor
          member('wail-consumer-host-a:301'), // a live sibling on this host
          member('wail-consumer-host-b:299'), // another host
          member('wail-consumer-host-ab:299'), // another host whose name starts like ours
        ],
        self,
      ),
    ).toEqual(['wail-consumer-host-a:299-uuid', 'same-pid']);
  });

  it('takes members with an explicit WAIL_CONSUMER_ID equal to this one', () => {
    const named = { ...self, clientId: 'wail-consumer-consumer-0' };
    expect(
      crashedPredecessors(
        [member('wail-consumer-consumer-0', 'old'), member('wail-consumer-consumer-1')],
        named,
      ),
    ).toEqual(['old']);
  });

  it('leaves every member whose name is not a pid of this host', () => {
    const asked: number[] = [];
    const watching = {
      ...self,
      isAlive: (pid: number) => {
        asked.push(pid);
        return false;
      },
    };
    expect(
      crashedPredecessors(
        [
          'wail-consumer-host-a:',
          'wail-consumer-host-a:0',
          'wail-consumer-host-a:-1',
          'wail-consumer-host-a:012',
          'wail-consumer-host-a:12x',
          'wail-consumer-host-a:4194305',
          'wail-consumer-host-a:99999999999',
          'wail-consumer-host-a:1:2',
          'other-client-host-a:12',
          'wail-consumer-host-a:12 ',
        ].map((clientId) => member(clientId)),
        watching,
      ),
    ).toEqual([]);
    expect(asked).toEqual([]);
  });
});

describe('processAlive', () => {
  it('knows this process and not a pid past the largest', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(4_194_305)).toBe(false);
  });
});
