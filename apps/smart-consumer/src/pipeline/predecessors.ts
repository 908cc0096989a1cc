import { readFileSync, readlinkSync } from 'node:fs';
import type { GroupMember, KafkaClient } from '@wail/kafka';
import type { Logger } from 'pino';

/** Linux's pids stay below `pid_max`, which tops out at 2^22. */
const PID_MAX = 4_194_303;
/**
 * Crashed runs taken out per start, at most (one LeaveGroup each, in turn):
 * a group holding more is left to their sessions rather than held up by them.
 */
export const MAX_PREDECESSORS = 16;

export interface ConsumerIdentity {
  /** This process's Kafka client id, `wail-consumer-<consumer id>`. */
  clientId: string;
  /** Whether the consumer id is WAIL_CONSUMER_ID (unique among live instances) or the default. */
  explicit: boolean;
  /** This host's name and pid namespace, as the default consumer id writes them. */
  host: string;
  pidNamespace: string | undefined;
  pid: number;
  /** Whether a process with this pid runs in this pid namespace. */
  isAlive(pid: number): boolean;
}

/**
 * Where a pid names one process: this boot of this machine
 * (`/proc/sys/kernel/random/boot_id`, its first 8 hex digits — hosts cloned
 * with one host name still differ) and this pid namespace
 * (`/proc/self/ns/pid`'s inode; each container has its own). Undefined off
 * Linux.
 */
export function pidNamespace(): string | undefined {
  try {
    const boot = /^([0-9a-f]{8})-/.exec(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
    const namespace = /^pid:\[([0-9]+)\]$/.exec(readlinkSync('/proc/self/ns/pid'));
    return boot && namespace ? `${boot[1]}.${namespace[1]}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The default consumer id: host, boot and pid namespace, pid — so a pid names
 * one process (containers sharing a host name each have their own namespace,
 * cloned hosts sharing one their own boot).
 */
export function defaultConsumerId(
  host: string,
  namespace: string | undefined,
  pid: number,
): string {
  return namespace === undefined ? `${host}:${pid}` : `${host}:${namespace}:${pid}`;
}

/**
 * The members of this consumer's group that are earlier runs of it which
 * crashed (SIGKILL, OOM) and hold their partitions until their session times
 * out. A process that has not joined yet is not in the group, so:
 *
 * - with WAIL_CONSUMER_ID (which must be unique among live instances; the
 *   Kubernetes manifests set it to the pod name, which a container restart
 *   keeps): a member with this client id is a predecessor;
 * - a member named by the default id of this host and pid namespace whose pid
 *   no longer runs is a predecessor (systemd's `Restart=`, a shell loop).
 *
 * A pid of another namespace is never judged: with no namespace to read, the
 * second rule is off. At most MAX_PREDECESSORS are returned.
 */
export function crashedPredecessors(
  members: readonly GroupMember[],
  self: ConsumerIdentity,
): string[] {
  const sameNamespace =
    self.pidNamespace === undefined
      ? undefined
      : `wail-consumer-${self.host}:${self.pidNamespace}:`;
  return members
    .filter(({ clientId }) => {
      if (self.explicit && clientId === self.clientId) return true;
      if (sameNamespace === undefined || !clientId.startsWith(sameNamespace)) return false;
      const rest = clientId.slice(sameNamespace.length);
      if (!/^[1-9][0-9]{0,6}$/.test(rest)) return false;
      const pid = Number(rest);
      return pid <= PID_MAX && pid !== self.pid && !self.isAlive(pid);
    })
    .slice(0, MAX_PREDECESSORS)
    .map(({ memberId }) => memberId);
}

/**
 * Takes this consumer's crashed predecessors out of its group before it
 * joins, so a restart after a crash resumes at once instead of after the dead
 * member's session timeout. Bounded by `timeoutMs`: a member list that comes
 * later is not acted on (this process may have joined by then). On failure
 * the group notices the dead member by its session, as without this.
 */
export async function removeCrashedPredecessors(
  kafka: KafkaClient,
  group: string,
  self: ConsumerIdentity,
  logger: Logger,
  timeoutMs = 5000,
): Promise<void> {
  let expired = false;
  let timer: NodeJS.Timeout | undefined;
  const removal = (async () => {
    const listed = await kafka.groupMembers(group);
    if (expired) return;
    const members = crashedPredecessors(listed, self);
    if (members.length === 0) return;
    await kafka.removeGroupMembers(group, members);
    logger.info({ group, members }, 'crashed predecessors removed from the consumer group');
  })();
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new Error(`no answer from the group coordinator within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  await Promise.race([removal, expiry])
    .catch((error: unknown) =>
      logger.warn(
        { err: error, group },
        'crashed predecessors not removed; the group waits out their session',
      ),
    )
    .finally(() => clearTimeout(timer));
}
