import { join, resolve } from 'node:path';

/** Repository root: infra/local/src → ../../.. */
export const repoRoot = resolve(__dirname, '..', '..', '..');
export const infraDir = resolve(__dirname, '..');

/** Everything the local stack writes lives under one git-ignored folder. */
export function stackHome(env: NodeJS.ProcessEnv = process.env): string {
  return env['WAIL_HOME'] ? resolve(env['WAIL_HOME']) : join(repoRoot, '.wail');
}

export function stackPaths(home: string) {
  return {
    home,
    jars: (service: string) => join(home, 'jars', service),
    data: (service: string) => join(home, 'data', service),
    conf: (service: string) => join(home, 'conf', service),
    log: (service: string) => join(home, 'logs', `${service}.log`),
    pid: (service: string) => join(home, 'run', `${service}.pid`),
    lock: join(home, 'run', 'stack.lock'),
  };
}

export type StackPaths = ReturnType<typeof stackPaths>;
