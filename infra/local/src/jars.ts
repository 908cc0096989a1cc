import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { commandExists, run } from './processes';

/**
 * Resolves a service's runtime classpath from Maven Central through its POM
 * and caches the jars. The cache is keyed by the POM's hash, so a second run
 * needs no network and a version bump re-resolves.
 */
export function ensureJars(pom: string, target: string): { cached: boolean; count: number } {
  const stamp = join(target, '.pom.sha256');
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) {
    return { cached: true, count: jarCount(target) };
  }
  if (!commandExists('mvn')) {
    throw new Error(
      `Maven is needed once to download ${pom} (Debian: apt-get install maven); the jars are cached afterwards`,
    );
  }
  const staging = `${target}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  const result = run('mvn', [
    '-q',
    '-B',
    '-f',
    pom,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${staging}`,
  ]);
  if (result.status !== 0) {
    throw new Error(
      `mvn could not resolve ${pom}:\n${result.output.split('\n').slice(-20).join('\n')}`,
    );
  }
  writeFileSync(join(staging, '.pom.sha256'), `${hash}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return { cached: false, count: jarCount(target) };
}

function jarCount(dir: string): number {
  return readdirSync(dir).filter((name) => name.endsWith('.jar')).length;
}

export function findJar(dir: string, prefix: string): string {
  const jar = readdirSync(dir).find((name) => name.startsWith(prefix) && name.endsWith('.jar'));
  if (!jar) throw new Error(`no ${prefix}*.jar in ${dir}`);
  return join(dir, jar);
}
