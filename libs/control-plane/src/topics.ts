/**
 * Kafka's topic-name grammar, as the broker enforces it
 * (`org.apache.kafka.common.internals.Topic`):
 *
 *   topic     = 1*249 ( ALPHA / DIGIT / "." / "_" / "-" ), not "." and not ".."
 *   internal  = "__" …      (`__consumer_offsets`, `__transaction_state`, …)
 *   collision = two names equal once every "." is read as "_" — the broker
 *               refuses to create the second, since their metric names clash
 */
const LEGAL = /^[A-Za-z0-9._-]{1,249}$/;

/** Why `topic` is not a topic name WAIL may use, or `undefined` when it is one. */
export function topicNameProblem(topic: unknown): string | undefined {
  if (typeof topic !== 'string') return 'must be a string';
  if (!LEGAL.test(topic) || topic === '.' || topic === '..')
    return 'must be a legal Kafka topic name ([A-Za-z0-9._-], 1 to 249 characters, not "." or "..")';
  if (topic.startsWith('__')) return 'starts with "__", which Kafka reserves for internal topics';
  return undefined;
}

/** The name under which Kafka compares topics for collisions. */
export function topicCollisionKey(topic: string): string {
  return topic.replaceAll('.', '_');
}

/** Whether two names are one topic to Kafka: equal, or colliding on "." versus "_". */
export function sameTopic(a: string, b: string): boolean {
  return topicCollisionKey(a) === topicCollisionKey(b);
}
