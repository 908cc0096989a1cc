import { WailError } from '@wail/errors';

/** Where a MySQL/MariaDB server is, and as whom to log in. */
export interface MysqlAddress {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
}

export type MysqlUrlReading = { ok: true; address: MysqlAddress } | { ok: false; problem: string };

/** RFC 3986 userinfo: unreserved, sub-delims, ":" and percent-encoded octets; nothing else. */
const USERINFO = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*$/;
const HOST_PORT_PATH =
  /^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?<port>[0-9]{1,5}))?(?:\/(?<database>[^/?#]*))?$/;

export const PERCENT_ENCODE_HINT =
  'the user or password holds a character that must be percent-encoded in a URL ' +
  '(such as # / ? @ % [ ] or a space): percent-encode the password ' +
  '(encodeURIComponent, e.g. # is %23, / is %2F, @ is %40), or give it in WAIL_MYSQL_PASSWORD';

/**
 * Reads `mysql://[user[:password]@]host[:port][/database]`. The user
 * information runs to the *last* `@`, so a password with an unencoded `@`,
 * `/`, `?` or `#` is recognised as one (and refused with a hint) instead of
 * being taken for a host, a path or a fragment. A problem never quotes the
 * URL: it may hold the password.
 */
export function readMysqlUrl(url: string): MysqlUrlReading {
  const fail = (problem: string): MysqlUrlReading => ({ ok: false, problem });
  if (!url.startsWith('mysql://')) return fail('must start with mysql://');
  const rest = url.slice('mysql://'.length);
  const at = rest.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const location = at < 0 ? rest : rest.slice(at + 1);

  let user: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    if (!USERINFO.test(userinfo)) return fail(PERCENT_ENCODE_HINT);
    const colon = userinfo.indexOf(':');
    try {
      user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon)) || undefined;
      password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
    } catch {
      return fail('the user or password is not valid percent-encoded UTF-8');
    }
  }

  if (location.includes('#'))
    return fail('a URL fragment (#…) is not allowed; a # in the password is written %23');
  if (location.includes('?'))
    return fail('query parameters (?…) are not supported; a ? in the password is written %3F');
  const match = HOST_PORT_PATH.exec(location);
  if (!match?.groups) return fail('expected mysql://user:password@host:port[/database]');
  const port = match.groups['port'] === undefined ? 3306 : Number(match.groups['port']);
  if (port < 1 || port > 65535) return fail('the port must be between 1 and 65535');
  let database: string | undefined;
  try {
    database = decodeURIComponent(match.groups['database'] ?? '') || undefined;
  } catch {
    return fail('the database name is not valid percent-encoded UTF-8');
  }
  if (database !== undefined && database.length > 64)
    return fail('the database name is longer than 64 characters');
  const host = match.groups['host']!.replace(/^\[(.*)\]$/, '$1');
  return { ok: true, address: { host, port, user, password, database } };
}

/**
 * `readMysqlUrl`, failing with CONFIG_INVALID naming `variable` (never the
 * value) when the URL cannot be read.
 */
export function parseMysqlUrl(url: string, variable = 'the MySQL URL'): MysqlAddress {
  const reading = readMysqlUrl(url);
  if (reading.ok) return reading.address;
  const problem = `  ${variable}: ${reading.problem}`;
  throw new WailError('CONFIG_INVALID', `invalid configuration:\n${problem}`, {
    details: { problems: [problem] },
  });
}
