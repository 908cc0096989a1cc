import { registryErrors as errors } from './errors';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuses a subject name Confluent refuses (a subject is created by registering or configuring it). */
export function validateSubject(subject: string): void {
  if (
    subject.length === 0 ||
    subject.length > 255 ||
    CONTROL.test(subject) ||
    subject === '__GLOBAL' ||
    subject === '__EMPTY'
  ) {
    throw errors.invalidSubject(subject);
  }
}
