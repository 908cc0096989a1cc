import { SCAN_OPERATORS, type ScanCondition, type ScanOperator } from '@wail/store';

/** Longest operators first, so `>=` is not read as `>` followed by `=value`. */
const OPERATORS = [...SCAN_OPERATORS].sort((a, b) => b.length - a.length);
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * `--where` conditions: `column op value`, op one of = != < <= > >=. The value
 * is a JSON literal when it parses as one (a number, true, false, null, a
 * "quoted string"), otherwise the text as it stands (`region=eu`). The store
 * checks the column and converts the value for its type.
 */
export function parseCondition(text: string): ScanCondition {
  for (let i = 0; i < text.length; i++) {
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (!op) continue;
    const column = text.slice(0, i).trim();
    if (!COLUMN.test(column))
      throw new Error(`--where "${text}": "${column}" is not a column name`);
    return { column, op: op as ScanOperator, value: literal(text.slice(i + op.length).trim()) };
  }
  throw new Error(`--where "${text}": no operator (one of ${SCAN_OPERATORS.join(' ')})`);
}

function literal(text: string): string | number | boolean | null {
  if (text === '') throw new Error('--where: a condition needs a value (use null for NULL)');
  // An integer a double cannot hold exactly stays text: the store converts it for its column.
  if (/^-?\d+$/.test(text) && !Number.isSafeInteger(Number(text))) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      parsed === null ||
      typeof parsed === 'string' ||
      typeof parsed === 'boolean' ||
      (typeof parsed === 'number' && Number.isFinite(parsed))
    )
      return parsed;
  } catch {
    // Not JSON: the text itself.
  }
  return text;
}
