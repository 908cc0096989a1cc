export { parseDeadLetter, readTopic, redrive } from './dead-letters';
export type { DeadLetter } from './dead-letters';
// The header names, declared with the rest of the dead-letter contract in @wail/contracts.
export { DEAD_LETTER_HEADERS } from '@wail/contracts';
