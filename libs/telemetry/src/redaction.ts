/**
 * Log-line hygiene. Three layers, because a secret can reach a log line by
 * many roads (an error's message, a driver's `input`, a config object):
 *
 * 1. pino `redact` censors known secret *paths* in logged objects;
 * 2. `scrubUrlCredentials` replaces the password of any `scheme://user:pw@`;
 * 3. a `Scrubber` replaces the configured secret *values* (passwords,
 *    tokens) wherever they appear in the final line.
 */
export const REDACTED = '[REDACTED]';

export const REDACT_PATHS: readonly string[] = [
  'password',
  'token',
  'tokens',
  'authorization',
  'credentials',
  '*.password',
  '*.token',
  '*.tokens',
  '*.authorization',
  '*.credentials',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * `scheme://user:password@` → `scheme://user:[REDACTED]@`. The password runs
 * to the last `@` before a blank or quote, so an unencoded `/`, `#` or `?` in
 * it is covered too.
 */
const URL_CREDENTIALS = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s"'/@:]*):([^\s"']*)@/g;

export function scrubUrlCredentials(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(
    URL_CREDENTIALS,
    (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
  );
}

/** Replaces known secret values, in their raw and JSON-escaped forms, in a serialized log line. */
export class Scrubber {
  private readonly needles: string[];

  constructor(secrets: readonly string[]) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (secret.length === 0) continue;
      forms.add(secret);
      forms.add(JSON.stringify(secret).slice(1, -1));
    }
    // Longest first: a secret that contains another is replaced whole.
    this.needles = [...forms].sort((a, b) => b.length - a.length);
  }

  scrub(line: string): string {
    let out = scrubUrlCredentials(line);
    for (const needle of this.needles) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  }
}
