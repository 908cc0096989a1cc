import type { Env } from './load-config';

/**
 * The one list of variables whose values are secret: a configuration error
 * never echoes them, and the loggers replace their values wherever they
 * appear. URLs and endpoints are on it because they may carry
 * `user:password@`; a pattern, not a name, so a variable added later (a read
 * token, a webhook secret, an access key) is covered the day it is born.
 * Patterns stay narrow: a secret's value is also scrubbed from every log
 * line, so a bound such as `…_MAX_KEY=1024` must not match.
 */
export const SECRET_VARIABLES: readonly RegExp[] = [
  /PASSWORD/,
  /TOKENS?$/,
  /SECRET/,
  /CREDENTIALS?$/,
  /(ACCESS|SECRET|PRIVATE|API|SIGNING|ENCRYPTION)_KEY$/,
  /_URLS?$/,
  /_ENDPOINT$/,
];

export function isSecretVariable(name: string): boolean {
  return SECRET_VARIABLES.some((pattern) => pattern.test(name));
}

/**
 * Shorter secrets are not scrubbed from log lines by value (replacing every
 * "pw" would mangle the logs); they are still never echoed or logged by WAIL.
 */
const MIN_SCRUBBED_LENGTH = 4;

/** Only WAIL's own variables: an unrelated `FOO_KEY=true` must not make "true" vanish from logs. */
const OWN_VARIABLE = /^(WAIL|OTEL)_/;

/**
 * The secret values in an environment, in every form a log line may show
 * them: as given, percent-decoded (a URL's password) and percent-encoded.
 * Token lists (`token=tables;…`) contribute each token; URLs their password.
 */
export function secretValues(env: Env): string[] {
  const found = new Set<string>();
  const add = (value: string | undefined) => {
    if (value === undefined || value.length < MIN_SCRUBBED_LENGTH) return;
    found.add(value);
    found.add(encodeURIComponent(value));
    try {
      found.add(decodeURIComponent(value));
    } catch {
      // not percent-encoded: the raw form is enough
    }
  };
  for (const [name, value] of Object.entries(env)) {
    if (!value || !OWN_VARIABLE.test(name) || !isSecretVariable(name)) continue;
    if (/_URLS?$|_ENDPOINT$/.test(name)) {
      for (const url of value.split(',')) add(urlPassword(url.trim()));
    } else if (/TOKENS$/.test(name)) {
      for (const entry of value.split(';')) add(entry.split('=')[0]?.trim());
    } else {
      add(value);
      add(value.trim());
    }
  }
  return [...found].filter((value) => value.length >= MIN_SCRUBBED_LENGTH);
}

/** The password of `scheme://user:password@host…`, split at the last `@` (it may be unencoded). */
function urlPassword(url: string): string | undefined {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  if (!scheme) return undefined;
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return undefined;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? undefined : userinfo.slice(colon + 1);
}
