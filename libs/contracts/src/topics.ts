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

/** The intent topic of a route that names none. */
export const DEFAULT_INTENT_TOPIC = 'wail.intents';
/** The consumers' topic for intents that never materialized (`WAIL_UNMATERIALIZED_TOPIC`). */
export const DEFAULT_UNMATERIALIZED_TOPIC = 'wail.intents.unmaterialized';
/** The consumers' dead-letter topic (`WAIL_DLQ_TOPIC`). */
export const DEFAULT_DEAD_LETTER_TOPIC = 'wail.dlq';

/** The event topic of a data model that names none. */
export function defaultEventTopic(table: string): string {
  return `wail.events.${table}`;
}

/** Whether `topic` is a name the broker accepts (internal names included). */
export function isTopicName(topic: string): boolean {
  return LEGAL.test(topic) && topic !== '.' && topic !== '..';
}

/** Why `topic` is not a topic name WAIL may use, or `undefined` when it is one. */
export function topicNameProblem(topic: unknown): string | undefined {
  if (typeof topic !== 'string') return 'must be a string';
  if (!isTopicName(topic))
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

/**
 * Which topics routes and models may name (configuration of the repository).
 * Intent topics are read by the consumers; event topics are written by them;
 * the unmaterialized and dead-letter topics are the consumers' own. Mixing any
 * two would make a consumer write into a log it reads, or readers of events
 * see intents: each rule below keeps one such pair apart.
 */
export interface TopicPolicy {
  /** Every intent topic starts with one of these (`WAIL_INTENT_TOPIC_PREFIXES`). */
  intentPrefixes: readonly string[];
  /** Every event topic starts with one of these (`WAIL_EVENT_TOPIC_PREFIXES`). */
  eventPrefixes: readonly string[];
  /** The consumers' `WAIL_UNMATERIALIZED_TOPIC`. */
  unmaterializedTopic: string;
  /** The consumers' `WAIL_DLQ_TOPIC`. */
  deadLetterTopic: string;
  /** The Kafka clusters a route may name (`WAIL_KAFKA_CLUSTERS`); default just `main`. */
  clusters?: readonly string[];
}

export const DEFAULT_TOPIC_POLICY: TopicPolicy = {
  intentPrefixes: ['wail'],
  eventPrefixes: ['wail'],
  unmaterializedTopic: DEFAULT_UNMATERIALIZED_TOPIC,
  deadLetterTopic: DEFAULT_DEAD_LETTER_TOPIC,
};

function prefixProblem(
  field: string,
  topic: string,
  prefixes: readonly string[],
  variable: string,
): string | undefined {
  if (prefixes.some((prefix) => topic.startsWith(prefix))) return undefined;
  const allowed = prefixes.map((prefix) => JSON.stringify(prefix)).join(', ');
  return `${field} ${JSON.stringify(topic)} must start with an allowed prefix: ${allowed} (${variable})`;
}

function consumerTopicProblems(field: string, topic: string, policy: TopicPolicy): string[] {
  const problems: string[] = [];
  const own: [string, string, string][] = [
    [policy.unmaterializedTopic, 'the unmaterialized-intents topic', 'WAIL_UNMATERIALIZED_TOPIC'],
    [policy.deadLetterTopic, 'the dead-letter topic', 'WAIL_DLQ_TOPIC'],
  ];
  for (const [reserved, what, variable] of own) {
    if (!sameTopic(topic, reserved)) continue;
    const which =
      topic === reserved
        ? `${what} (${variable})`
        : `the same Kafka topic as ${what} ${JSON.stringify(reserved)} ("." and "_" collide)`;
    problems.push(
      `${field} ${JSON.stringify(topic)} is ${which}: a route or a model never names the consumer's own topics`,
    );
  }
  return problems;
}

/**
 * What is wrong with a route's intent topic on its own (grammar, prefix, the
 * consumers' own topics); the rules that need the other routes and models are
 * the repository's (its topic claims). Every problem names its rule.
 */
export function intentTopicProblems(topic: string, policy: TopicPolicy): string[] {
  const field = '"intentTopic"';
  const grammar = topicNameProblem(topic);
  if (grammar) return [`${field} ${grammar}`];
  const problems: string[] = [];
  const prefix = prefixProblem(field, topic, policy.intentPrefixes, 'WAIL_INTENT_TOPIC_PREFIXES');
  if (prefix) problems.push(prefix);
  return [...problems, ...consumerTopicProblems(field, topic, policy)];
}

/**
 * What is wrong with a data model's event topic on its own (grammar, prefix,
 * the consumers' own topics, the default intent topic); the rules that need
 * the other routes and models are the repository's.
 */
export function eventTopicProblems(topic: string, policy: TopicPolicy): string[] {
  const field = '"eventTopic"';
  const grammar = topicNameProblem(topic);
  if (grammar) return [`${field} ${grammar}`];
  const problems: string[] = [];
  const prefix = prefixProblem(field, topic, policy.eventPrefixes, 'WAIL_EVENT_TOPIC_PREFIXES');
  if (prefix) problems.push(prefix);
  if (sameTopic(topic, DEFAULT_INTENT_TOPIC))
    problems.push(
      `${field} ${JSON.stringify(topic)} is the default intent topic ${JSON.stringify(DEFAULT_INTENT_TOPIC)}: an event topic is never an intent topic`,
    );
  return [...problems, ...consumerTopicProblems(field, topic, policy)];
}
