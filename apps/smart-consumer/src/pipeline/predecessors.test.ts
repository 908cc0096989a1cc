import {
  crashedPredecessors,
  defaultConsumerId,
  pidNamespace,
  MAX_PREDECESSORS,
  type ConsumerIdentity,
} from './predecessors';

const self: ConsumerIdentity = {
  clientId: 'wail-consumer-host-a:4026531836:300',
  explicit: false,
  host: 'host-a',
  pidNamespace: '4026531836',
  pid: 300,
  isAlive: (pid) => pid === 300 || pid === 301,
};
const member = (clientId: string, memberId = `${clientId}-uuid`) => ({
  memberId,
  clientId,
  clientHost: '/127.0.0.1',
});

describe('crashedPredecessors', () => {
  it('takes members of this host and pid namespace whose pid no longer runs', () => {
    expect(
      crashedPredecessors(
        [
          member('wail-consumer-host-a:4026531836:299'), // dead here
          member('wail-consumer-host-a:4026531836:300'), // this pid: not judged
          member('wail-consumer-host-a:4026531836:301'), // a live sibling
          member('wail-consumer-host-a:4026532000:299'), // another pid namespace (a container)
          member('wail-consumer-host-a:299'), // no namespace in its name
          member('wail-consumer-host-b:4026531836:299'), // another host
          member('wail-consumer-host-ab:4026531836:299'), // a host whose name starts like ours
        ],
        self,
      ),
    ).toEqual(['wail-consumer-host-a:4026531836:299-uuid']);
  });

  it('takes a member with this WAIL_CONSUMER_ID, and never one with a shared default id', () => {
    const named = { ...self, clientId: 'wail-consumer-consumer-0', explicit: true };
    expect(
      crashedPredecessors(
        [member('wail-consumer-consumer-0', 'old'), member('wail-consumer-consumer-1')],
        named,
      ),
    ).toEqual(['old']);
    // Containers sharing a host name and a pid (1) have one default id: none is judged.
    const container = { ...self, clientId: 'wail-consumer-node:4026532000:1', pid: 1 };
    expect(crashedPredecessors([member('wail-consumer-node:4026532000:1')], container)).toEqual([]);
  });

  it(`takes at most ${MAX_PREDECESSORS} per start, however many dead runs the group holds`, () => {
    const dead = Array.from({ length: 500 }, (_, i) =>
      member(`wail-consumer-host-a:4026531836:${1000 + i}`),
    );
    expect(crashedPredecessors(dead, self)).toEqual(
      dead.slice(0, MAX_PREDECESSORS).map(({ memberId }) => memberId),
    );
  });

  it('judges no pid without a pid namespace to read', () => {
    const unknown = { ...self, pidNamespace: undefined, isAlive: () => false };
    expect(
      crashedPredecessors(
        [member('wail-consumer-host-a:299'), member('wail-consumer-host-a:undefined:299')],
        unknown,
      ),
    ).toEqual([]);
  });

  it('leaves every member whose name is not a pid of this namespace', () => {
    const asked: number[] = [];
    const watching = {
      ...self,
      isAlive: (pid: number) => {
        asked.push(pid);
        return false;
      },
    };
    const prefix = 'wail-consumer-host-a:4026531836:';
    expect(
      crashedPredecessors(
        ['', '0', '-1', '012', '12x', '4194304', '99999999999', '1:2', '12 ']
          .map((rest) => member(`${prefix}${rest}`))
          .concat(member('other-client-host-a:4026531836:12')),
        watching,
      ),
    ).toEqual([]);
    expect(asked).toEqual([]);
  });
});

describe('the default consumer id', () => {
  it('names host, pid namespace and pid', () => {
    expect(defaultConsumerId('h', '42', 7)).toBe('h:42:7');
    expect(defaultConsumerId('h', undefined, 7)).toBe('h:7');
    expect(pidNamespace()).toMatch(/^[0-9a-f]{8}\.[0-9]+$/);
  });
});
