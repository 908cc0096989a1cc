import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { prettyFactory } from 'pino-pretty';

export const repoRoot = join(__dirname, '..', '..', '..');

export interface ServiceSpec {
  /** Short label printed in front of every log line. */
  label: string;
  entry: string;
  readyUrl: string;
  env?: NodeJS.ProcessEnv;
}

const colours = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m'];
const reset = '\x1b[0m';
const pretty = prettyFactory({
  colorize: process.stdout.isTTY,
  translateTime: 'HH:MM:ss.l',
  ignore: 'pid,hostname,service,name',
  singleLine: true,
});

/** Runs one service under tsx, prefixing each (prettified) log line with its label. */
export function runService(spec: ServiceSpec, index: number, width: number): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, spec.entry)], {
    cwd: repoRoot,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only this runner, which forwards one SIGTERM.
    detached: true,
  });
  const prefix = process.stdout.isTTY
    ? `${colours[index % colours.length]}${spec.label.padEnd(width)}${reset} | `
    : `${spec.label.padEnd(width)} | `;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      const text = line.startsWith('{') ? pretty(line).trimEnd() : line;
      for (const part of text.split('\n')) process.stdout.write(`${prefix}${part}\n`);
    });
  }
  return child;
}

/** Polls `url` until it answers 200, the child exits, or the timeout passes. */
export async function waitReady(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited with status ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`not ready after ${timeoutMs / 1000} s: ${last}`);
}
