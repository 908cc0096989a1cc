import { type Static, type TObject } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { WailError } from '@wail/errors';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates environment variables against a schema whose property names are
 * the variable names. Defaults are applied, numbers and booleans are
 * converted from their string form, and every problem is reported at once so
 * an operator can fix a deployment in one pass.
 */
export function loadEnv<T extends TObject>(schema: T, env: Env): Static<T> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') picked[key] = raw;
  }
  const withDefaults = Value.Default(schema, picked);
  const converted = Value.Convert(schema, withDefaults);
  const checker = TypeCompiler.Compile(schema);
  if (checker.Check(converted)) return converted;

  const problems = [...checker.Errors(converted)].map((error) => {
    const name = error.path.replace(/^\//, '').split('/')[0] ?? error.path;
    const given = env[name];
    const shown = given === undefined ? 'unset' : JSON.stringify(given);
    const description = (schema.properties[name] as { description?: string } | undefined)
      ?.description;
    return `  ${name} (${shown}): ${error.message}${description ? ` — ${description}` : ''}`;
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
