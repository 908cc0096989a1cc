import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * The top frames of V8 CPU profiles (`node --cpu-prof`, e.g. from
 * `pipeline.ts --profile DIR`): self time per function and per package (the
 * node_modules directory, `node:` internals, our own sources), as shares of
 * the samples that were not idle. Profiles stay out of git; their tops go in
 * the closing notes.
 *
 * Usage: npx tsx tools/bench/src/profile-top.ts [--top 25] FILE.cpuprofile...
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
let top = 25;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else files.push(args[i]!);
}
if (files.length === 0 || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: profile-top.ts [--top N] FILE.cpuprofile...\n');
  process.exit(2);
}

/** Where a frame's code lives: a package, node's internals, the engine, or our sources. */
function owner(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const ours = /\/(apps|libs)\/([^/]+(?:\/[^/]+)?)\/src\//.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : basename(url);
}

const table = (rows: [string, number][], total: number) =>
  rows
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, hits]) => `  ${((100 * hits) / total).toFixed(1).padStart(5)} %  ${name}`)
    .join('\n');

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      idle += functionName === '(idle)' ? hits : 0;
      if (functionName === '(idle)') continue;
    }
    busy += hits;
    const where = owner(url, functionName);
    const name = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    byOwner.set(where, (byOwner.get(where) ?? 0) + hits);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  process.stdout.write(
    `${basename(file)}: ${seconds.toFixed(1)} s, ${((100 * busy) / (busy + idle)).toFixed(0)} % busy\n` +
      `by package (self time, % of busy samples):\n${table([...byOwner], busy)}\n` +
      `by function:\n${table([...byFunction], busy)}\n\n`,
  );
}
