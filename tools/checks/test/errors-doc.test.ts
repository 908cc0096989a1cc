import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOGUE, ERROR_CODES } from '@wail/errors';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');

/** Rows of the form: | `CODE` | 503 | yes | meaning | */
const rows = [
  ...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|\s*(yes|no)\s*\|\s*(.+?)\s*\|$/gm),
].map(([, code, status, retriable, meaning]) => ({
  code: code!,
  status: Number(status),
  retriable: retriable === 'yes',
  meaning: meaning!,
}));

describe('docs/errors.md', () => {
  it('documents every error code of the catalogue, and no other', () => {
    expect(rows.map((row) => row.code).sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each(rows)('gives $code the status and retriability the code uses', (row) => {
    const entry = ERROR_CATALOGUE[row.code as keyof typeof ERROR_CATALOGUE];
    expect({ status: row.status, retriable: row.retriable }).toEqual({
      status: entry.status,
      retriable: entry.retriable,
    });
    expect(row.meaning.length).toBeGreaterThan(10);
  });
});
