import type { Change } from '../delivery/change';

/** A change a webhook never took: every attempt of its batch failed. */
export interface DeadLetter {
  subscription: string;
  /** Per subscription, increasing: the order of the letters. */
  sequence: number;
  /** The gateway instance that wrote it (random per start), so two instances never share a key. */
  origin?: string;
  change: Change;
  /** The change's cursor when it was delivered. */
  cursor: string;
  attempts: number;
  /** The last failure, e.g. `HTTP 500` or `timeout after 10000 ms`. */
  error: string;
  at: string;
}

export function parseDeadLetter(value: Buffer): DeadLetter | undefined {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Partial<DeadLetter>;
    if (
      typeof parsed.subscription !== 'string' ||
      typeof parsed.sequence !== 'number' ||
      typeof parsed.change !== 'object' ||
      parsed.change === null
    )
      return undefined;
    return parsed as DeadLetter;
  } catch {
    return undefined;
  }
}
