// Which topics routes and models may name: declared in @wail/contracts.
export { DEFAULT_TOPIC_POLICY, eventTopicProblems, intentTopicProblems } from '@wail/contracts';
export type { TopicPolicy } from '@wail/contracts';
