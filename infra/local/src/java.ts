import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes';

export interface Java {
  binary: string;
  major: number;
}

export function javaAt(binary: string): Java | undefined {
  const { status, output } = run(binary, ['-version']);
  if (status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  const first = Number(match[1]);
  // Java 8 reports "1.8.0_…".
  const major = first === 1 ? Number(match[2]) : first;
  return { binary, major };
}

/**
 * Picks a Java runtime whose major version is in `accepted`: WAIL_JAVA_HOME,
 * then JAVA_HOME, then `java` on the PATH, then any JDK under /usr/lib/jvm.
 * Returns a sentence naming what was found when nothing fits.
 */
export function findJava(accepted: readonly number[], env: NodeJS.ProcessEnv): Java | string {
  const candidates: string[] = [];
  for (const home of [env['WAIL_JAVA_HOME'], env['JAVA_HOME']]) {
    if (home) candidates.push(join(home, 'bin', 'java'));
  }
  candidates.push('java');
  if (existsSync('/usr/lib/jvm')) {
    for (const entry of readdirSync('/usr/lib/jvm').sort()) {
      const binary = join('/usr/lib/jvm', entry, 'bin', 'java');
      if (existsSync(binary)) candidates.push(binary);
    }
  }
  const seen: string[] = [];
  for (const binary of candidates) {
    const java = javaAt(binary);
    if (!java) continue;
    if (accepted.includes(java.major)) return java;
    seen.push(`Java ${java.major} (${binary})`);
  }
  const want = accepted.map((major) => `Java ${major}`).join(' or ');
  return seen.length === 0
    ? `no Java runtime found: install ${want} (Debian: apt-get install openjdk-17-jdk-headless) or set WAIL_JAVA_HOME`
    : `this needs ${want}; found only ${seen.join(', ')}. Install one, or set WAIL_JAVA_HOME to it`;
}
