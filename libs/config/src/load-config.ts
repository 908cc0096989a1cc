import { FormatRegistry, type Static, type TObject } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { WailError } from '@wail/errors';
import { readMysqlUrl } from './mysql-url';
import { isSecretVariable } from './secrets';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * String formats of the configuration schemas, each with the explanation an
 * operator reads instead of TypeBox's generic "must match format".
 */
const FORMATS: Record<string, (value: string) => string | undefined> = {
  'mysql-url': (value) => {
    const reading = readMysqlUrl(value);
    return reading.ok ? undefined : reading.problem;
  },
  'postgres-url': (value) => storeUrlProblem(value, ['postgres:', 'postgresql:']),
  'redis-url': (value) => storeUrlProblem(value, ['redis:', 'rediss:']),
};

/**
 * Why a database URL cannot be used, never repeating it (it may hold a
 * password): a known scheme, a host, no fragment, credentials percent-encoded.
 */
function storeUrlProblem(value: string, schemes: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `not a URL (${schemes.map((s) => `${s}//host:port`).join(' or ')}; percent-encode reserved characters of a user or password)`;
  }
  if (!schemes.includes(url.protocol)) return `the scheme must be ${schemes.join(' or ')}`;
  if (url.hostname === '') return 'the URL names no host';
  if (url.hash !== '')
    return 'the URL has a fragment (#…): percent-encode a # in a password as %23';
  return undefined;
}
for (const [format, problem] of Object.entries(FORMATS)) {
  FormatRegistry.Set(format, (value) => problem(value) === undefined);
}

/** A non-secret value is echoed so the operator sees what was read, cut short if long. */
function shown(name: string, given: string | undefined): string {
  if (given === undefined) return 'unset';
  if (isSecretVariable(name)) return 'value hidden';
  return JSON.stringify(given.length > 80 ? `${given.slice(0, 80)}…` : given);
}

/**
 * Validates environment variables against a schema whose property names are
 * the variable names. Defaults are applied, numbers and booleans are
 * converted from their string form, and every problem is reported at once so
 * an operator can fix a deployment in one pass. Values of secret variables
 * (`SECRET_VARIABLES`) are never repeated in the message.
 */
export function loadEnv<T extends TObject>(schema: T, env: Env): Static<T> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') picked[key] = raw;
  }
  const withDefaults = Value.Default(schema, picked);
  const converted = Value.Convert(schema, withDefaults) as Record<string, unknown>;
  // Convert truncates "2.5" (or "1e3") to an integer: a whole number must be written as one.
  for (const key of Object.keys(picked)) {
    const raw = env[key];
    if (
      (schema.properties[key] as { type?: string } | undefined)?.type === 'integer' &&
      typeof raw === 'string' &&
      raw !== '' &&
      !/^\s*[+-]?\d+\s*$/.test(raw)
    )
      converted[key] = raw;
  }
  const checker = TypeCompiler.Compile(schema);
  if (checker.Check(converted)) return converted;

  const problems = [...checker.Errors(converted)].map((error) => {
    const name = error.path.replace(/^\//, '').split('/')[0] ?? error.path;
    const format = (error.schema as { format?: string }).format;
    const explained =
      error.type === ValueErrorType.StringFormat && format !== undefined
        ? FORMATS[format]?.(String(error.value))
        : undefined;
    const description = (schema.properties[name] as { description?: string } | undefined)
      ?.description;
    return `  ${name} (${shown(name, env[name])}): ${explained ?? error.message}${description ? ` — ${description}` : ''}`;
  });
  const unique = [...new Set(problems)];
  throw new WailError('CONFIG_INVALID', `invalid configuration:\n${unique.join('\n')}`, {
    details: { problems: unique },
  });
}

/** Splits a comma-separated list, dropping blanks. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
