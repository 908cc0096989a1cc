export { parseDeadLetter, readTopic, redrive } from './dead-letters';
export type { DeadLetter } from './dead-letters';
