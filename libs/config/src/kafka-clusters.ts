import { Type } from '@sinclair/typebox';
import { CLUSTER_NAME, DEFAULT_CLUSTER } from '@wail/contracts';
import { WailError } from '@wail/errors';
import { splitList } from './load-config';

const HOST_PORT = /^[^\s,:;=]+:[0-9]{1,5}$/;
const MAX_CLUSTERS = 16;

export const KafkaClustersEnv = {
  WAIL_KAFKA_CLUSTERS: Type.Optional(
    Type.String({
      maxLength: 4096,
      description:
        'named Kafka clusters routes may log intents to: "name=host:port,host:port;name=…" (e.g. "main=127.0.0.1:9092;hot=127.0.0.1:9192"); "main" is WAIL_KAFKA_BROKERS unless named here',
    }),
  ),
};

/**
 * The Kafka clusters by name: `main` (WAIL_KAFKA_BROKERS, or its entry in
 * WAIL_KAFKA_CLUSTERS) and every other entry of WAIL_KAFKA_CLUSTERS. At most
 * 16; a bad entry stops start-up with CONFIG_INVALID naming it.
 */
export function kafkaClusters(
  mainBrokers: readonly string[],
  text: string | undefined,
): ReadonlyMap<string, string[]> {
  const clusters = new Map<string, string[]>([[DEFAULT_CLUSTER, [...mainBrokers]]]);
  const problems: string[] = [];
  const named = new Set<string>();
  const entries = (text ?? '')
    .split(';')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const name = at < 0 ? entry : entry.slice(0, at).trim();
    const brokers = at < 0 ? [] : splitList(entry.slice(at + 1));
    const shown = JSON.stringify(entry.slice(0, 80));
    if (!CLUSTER_NAME.test(name))
      problems.push(
        `${shown}: a cluster name is lower-case letters, digits, _ and -, starting with a letter, ≤ 32`,
      );
    else if (named.has(name)) problems.push(`${shown}: cluster "${name}" is named twice`);
    else if (brokers.length === 0 || !brokers.every((broker) => HOST_PORT.test(broker)))
      problems.push(`${shown}: "${name}=" needs a comma-separated host:port list`);
    else {
      named.add(name);
      clusters.set(name, brokers);
    }
  }
  if (clusters.size > MAX_CLUSTERS)
    problems.push(`at most ${MAX_CLUSTERS} clusters (${clusters.size} named)`);
  if (problems.length > 0) {
    const lines = problems.map((problem) => `  WAIL_KAFKA_CLUSTERS ${problem}`);
    throw new WailError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`, {
      details: { problems: lines },
    });
  }
  return clusters;
}
