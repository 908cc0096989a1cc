import { sameTopic } from '@wail/contracts';

export interface ConsumerOwnTopics {
  /** Every intent topic this consumer reads (routes' topics and those still draining). */
  consumed: Iterable<string>;
  unmaterializedTopic: string;
  deadLetterTopic: string;
}

/**
 * Why an event must not be published to `eventTopic`, or `undefined` when it
 * may. The repository refuses such models, but this consumer's own topics are
 * its configuration, not the repository's (a custom `WAIL_DLQ_TOPIC`, an older
 * repository, a topic still draining): an event written into a log the
 * consumer reads would come back as a foreign intent, and one written into its
 * unmaterialized or dead-letter topic would corrupt those records.
 */
export function forbiddenEventTopic(
  eventTopic: string,
  own: ConsumerOwnTopics,
): string | undefined {
  for (const topic of own.consumed) {
    if (sameTopic(eventTopic, topic))
      return `event topic "${eventTopic}" is the intent topic "${topic}" this consumer reads`;
  }
  if (sameTopic(eventTopic, own.unmaterializedTopic))
    return `event topic "${eventTopic}" is this consumer's unmaterialized-intents topic`;
  if (sameTopic(eventTopic, own.deadLetterTopic))
    return `event topic "${eventTopic}" is this consumer's dead-letter topic`;
  return undefined;
}
