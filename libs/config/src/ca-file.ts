import { readFileSync } from 'node:fs';
import { WailError } from '@wail/errors';

/**
 * The PEM text of a CA file a `…_TLS_CA_FILE` variable names, read once at
 * start-up; a missing or unreadable file, or one without a certificate, is a
 * problem naming the variable (the path is the operator's, not a secret).
 */
export function readCaFile(
  variable: string,
  path: string | undefined,
  problems: string[],
): string | undefined {
  if (path === undefined) return undefined;
  try {
    const pem = readFileSync(path, 'utf8');
    if (pem.includes('-----BEGIN CERTIFICATE-----')) return pem;
    problems.push(`${variable}: the file holds no PEM certificate`);
  } catch (error) {
    problems.push(
      `${variable}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return undefined;
}

/** Stops start-up with CONFIG_INVALID listing the problems, if any. */
export function refuseProblems(problems: readonly string[]): void {
  if (problems.length === 0) return;
  const lines = problems.map((problem) => `  ${problem}`);
  throw new WailError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`, {
    details: { problems: lines },
  });
}
