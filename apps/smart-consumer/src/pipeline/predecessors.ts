import type { GroupMember, KafkaClient } from '@wail/kafka';
import type { Logger } from 'pino';

/** Linux's largest pid (`pid_max` tops out at 2^22). */
const PID_MAX = 4_194_304;

export interface ConsumerIdentity {
  /** This process's Kafka client id, `wail-consumer-<consumer id>`. */
  clientId: string;
  /** This host's name, as the default consumer id (`<host>:<pid>`) writes it. */
  host: string;
  pid: number;
  /** Whether a process with this pid runs on this host. */
  isAlive(pid: number): boolean;
}

/**
 * The members of this consumer's group that are earlier runs of it which
 * crashed (SIGKILL, OOM, a lost host process) and still hold their partitions
 * until their session times out. A process that has not joined yet is not in
 * the group, so:
 *
 * - a member with this process's own client id is a predecessor: the same
 *   WAIL_CONSUMER_ID, or the same host and pid (a restarted container runs as
 *   the pid its predecessor had);
 * - a member named by the default id `<this host>:<pid>` whose pid no longer
 *   runs here is a predecessor on this host.
 *
 * Removing one that was in fact alive (two hosts of one name) costs it a
 * rejoin, never a second owner of a partition: the group still assigns each
 * partition to one member.
 */
export function crashedPredecessors(
  members: readonly GroupMember[],
  self: ConsumerIdentity,
): string[] {
  const sameHost = `wail-consumer-${self.host}:`;
  return members
    .filter(({ clientId }) => {
      if (clientId === self.clientId) return true;
      if (!clientId.startsWith(sameHost)) return false;
      const rest = clientId.slice(sameHost.length);
      if (!/^[1-9][0-9]{0,6}$/.test(rest)) return false;
      const pid = Number(rest);
      return pid <= PID_MAX && (pid === self.pid || !self.isAlive(pid));
    })
    .map(({ memberId }) => memberId);
}

/** Whether a process with this pid exists on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes this consumer's crashed predecessors out of its group before it
 * joins, so a restart after a crash resumes at once instead of after the dead
 * member's session timeout. Bounded by `timeoutMs`; on failure the group
 * notices the dead member by its session, as without this.
 */
export async function removeCrashedPredecessors(
  kafka: KafkaClient,
  group: string,
  self: ConsumerIdentity,
  logger: Logger,
  timeoutMs = 5000,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const removal = (async () => {
    const members = crashedPredecessors(await kafka.groupMembers(group), self);
    if (members.length === 0) return;
    await kafka.removeGroupMembers(group, members);
    logger.info({ group, members }, 'crashed predecessors removed from the consumer group');
  })();
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer from the group coordinator within ${timeoutMs} ms`)),
      timeoutMs,
    );
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
