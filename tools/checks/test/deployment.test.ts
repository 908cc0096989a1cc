import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { isSecretVariable, type Env } from '@wail/config';
import { containers, readYaml, renderKustomization, type Resource } from './kustomize';

const root = join(__dirname, '..', '..', '..');
const base = join(root, 'infra', 'k8s', 'base');
const overlay = join(root, 'infra', 'k8s', 'overlays', 'example');
const systemd = join(root, 'infra', 'systemd');

/**
 * Per app: its config schema's export, the variables of its listeners by port
 * name, and the tokens it needs beyond loopback (left empty in the base).
 */
const apps = [
  {
    app: 'producer-proxy',
    schema: 'ProxyEnv',
    ports: { http: 'WAIL_PROXY_PORT' },
    autoscaled: true,
    tokens: { WAIL_PROXY_TOKENS: 'writer-token-for-the-test=*' },
  },
  {
    app: 'schema-repository',
    schema: 'RepositoryEnv',
    ports: { http: 'WAIL_REPOSITORY_PORT' },
    autoscaled: false,
    tokens: {
      WAIL_REPOSITORY_WRITE_TOKEN: 'write-token-for-the-test',
      WAIL_REPOSITORY_READ_TOKEN: 'read-token-for-the-test',
    },
  },
  {
    app: 'smart-consumer',
    schema: 'ConsumerEnv',
    ports: { http: 'WAIL_CONSUMER_PORT' },
    autoscaled: false,
    tokens: {},
  },
  {
    app: 'event-gateway',
    schema: 'GatewayEnv',
    ports: { http: 'WAIL_GATEWAY_PORT', grpc: 'WAIL_GATEWAY_GRPC_PORT' },
    autoscaled: false,
    // Its instances do not share subscriptions (apps/event-gateway/README.md, Limits).
    singleton: true,
    tokens: { WAIL_GATEWAY_ADMIN_TOKEN: 'admin-token-for-the-test' },
  },
] as const;
type App = (typeof apps)[number];

interface AppConfig {
  http: { port: number };
  grpc?: { port: number };
}
interface ConfigModule {
  loadConfig(env: Env): AppConfig;
  [schema: string]: unknown;
}
interface EnvSchema {
  properties: Record<string, { default?: unknown }>;
}

/** The app's own config.ts, read as data: the variables it declares and how it loads them. */
async function appConfig(
  app: App,
): Promise<{ schema: EnvSchema; loadConfig: ConfigModule['loadConfig'] }> {
  // A computed path: a tool may not import an app, but may read its source like a document.
  const module = (await import(join(root, 'apps', app.app, 'src', 'config'))) as ConfigModule;
  return { schema: module[app.schema] as EnvSchema, loadConfig: module.loadConfig };
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

function validate(resource: Resource): void {
  const Model = MODELS[`${resource.apiVersion}/${resource.kind}`];
  if (!Model) throw new Error(`no schema for ${resource.apiVersion} ${resource.kind}`);
  new Model(resource as never).validate();
}

function find(resources: Resource[], kind: string, name: string): Resource | undefined {
  return resources.find((r) => r.kind === kind && r.metadata.name === name);
}

function get(resources: Resource[], kind: string, name: string): Resource {
  const resource = find(resources, kind, name);
  if (!resource) throw new Error(`no ${kind} ${name}`);
  return resource;
}

/** The environment a pod of the app gets: its ConfigMap and Secret, as envFrom merges them. */
function podEnv(resources: Resource[], name: string): Record<string, string> {
  return { ...configMapData(resources, name), ...secretData(resources, name) };
}

function configMapData(resources: Resource[], name: string): Record<string, string> {
  return (get(resources, 'ConfigMap', name) as { data?: Record<string, string> }).data ?? {};
}

function secretData(resources: Resource[], name: string): Record<string, string> {
  return (
    (get(resources, 'Secret', name) as { stringData?: Record<string, string> }).stringData ?? {}
  );
}

function installed(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

const byKindAndName = (a: Resource, b: Resource) =>
  `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`);

describe('the Kubernetes manifests', () => {
  const rendered = { base: renderKustomization(base), overlay: renderKustomization(overlay) };
  const hasKubectl = installed('kubectl', ['version', '--client']);

  it.each(['base', 'overlay'] as const)(
    'renders the %s into resources that validate against the Kubernetes schemas',
    (which) => {
      expect(rendered[which].length).toBeGreaterThan(0);
      for (const resource of rendered[which]) expect(() => validate(resource)).not.toThrow();
    },
  );

  it('parses every YAML file under infra/k8s, and validates each file of the base on its own', () => {
    const files = readdirSync(join(root, 'infra', 'k8s'), {
      recursive: true,
      encoding: 'utf8',
    }).filter((file) => file.endsWith('.yaml') && !file.endsWith('kustomization.yaml'));
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const path = join(root, 'infra', 'k8s', file);
      for (const document of parseAllDocuments(readFileSync(path, 'utf8')))
        expect({ file, errors: document.errors.map((e) => e.message) }).toEqual({
          file,
          errors: [],
        });
      if (!file.includes('overlays')) for (const resource of readYaml(path)) validate(resource);
    }
  });

  (hasKubectl ? it : it.skip)(
    hasKubectl
      ? 'renders base and overlay exactly as `kubectl kustomize` does'
      : 'renders base and overlay exactly as `kubectl kustomize` does — skipped: kubectl is not installed',
    () => {
      for (const [which, directory] of [
        ['base', base],
        ['overlay', overlay],
      ] as const) {
        const run = spawnSync('kubectl', ['kustomize', directory], { encoding: 'utf8' });
        expect(run.stderr).toBe('');
        const theirs = parseAllDocuments(run.stdout).map((d) => d.toJS() as Resource);
        expect(theirs.sort(byKindAndName)).toEqual([...rendered[which]].sort(byKindAndName));
      }
    },
  );

  describe.each(apps)('$app', (app) => {
    const name = `wail-${app.app}`;
    let schema: EnvSchema;
    let loadConfig: ConfigModule['loadConfig'];
    beforeAll(async () => {
      ({ schema, loadConfig } = await appConfig(app));
    });

    it('has every variable of its config schema in its ConfigMap or Secret, once, and no other', () => {
      const configMap = configMapData(rendered.base, name);
      const secret = secretData(rendered.base, name);
      const declared = Object.keys(schema.properties).sort();
      expect(declared.length).toBeGreaterThan(10);
      expect([...Object.keys(configMap), ...Object.keys(secret)].sort()).toEqual(declared);
    });

    it('keeps every secret variable (tokens, passwords, keys, URLs) in the Secret', () => {
      const configMap = configMapData(rendered.base, name);
      expect(Object.keys(configMap).filter(isSecretVariable)).toEqual([]);
    });

    it('starts from the overlay configuration, listening on the ports its Deployment declares', () => {
      const config = loadConfig(podEnv(rendered.overlay, name));
      const ports = containers(get(rendered.overlay, 'Deployment', name)).flatMap(
        (c) => c.ports ?? [],
      );
      expect(ports.find((p) => p.name === 'http')?.containerPort).toBe(config.http.port);
      if ('grpc' in app.ports)
        expect(ports.find((p) => p.name === 'grpc')?.containerPort).toBe(config.grpc?.port);
    });

    it('starts from the base once its tokens are set, and refuses to listen beyond loopback without them', () => {
      const env = podEnv(rendered.base, name);
      expect(() => loadConfig({ ...env, ...app.tokens })).not.toThrow();
      for (const token of Object.keys(app.tokens))
        expect(() => loadConfig(env)).toThrow(new RegExp(token));
    });

    it('runs non-root, probes /readyz and /healthz on its listener, with resources, from its ConfigMap and Secret', () => {
      const deployment = get(rendered.base, 'Deployment', name) as unknown as DeploymentShape;
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.containers).toHaveLength(1);
      const [container] = pod.containers;
      expect(container!.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(Object.fromEntries(container!.ports.map((p) => [p.name, p.containerPort]))).toEqual(
        Object.fromEntries(
          Object.entries(app.ports).map(([port, variable]) => [
            port,
            schema.properties[variable]!.default,
          ]),
        ),
      );
      expect(container!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      for (const bound of ['requests', 'limits'] as const)
        expect(Object.keys(container!.resources[bound]).sort()).toEqual(['cpu', 'memory']);
      expect(container!.envFrom).toEqual([{ configMapRef: { name } }, { secretRef: { name } }]);
      expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
    });

    it('has a Service for each of its ports and a PodDisruptionBudget of its pods', () => {
      const service = get(rendered.base, 'Service', name) as unknown as {
        spec: {
          selector: Record<string, string>;
          ports: { name: string; port: number; targetPort: string }[];
        };
      };
      expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': name });
      expect(service.spec.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual(
        Object.entries(app.ports).map(([port, variable]) => [
          port,
          schema.properties[variable]!.default,
          port,
        ]),
      );
      const budget = get(rendered.base, 'PodDisruptionBudget', name) as unknown as {
        spec: { selector: { matchLabels: Record<string, string> } };
      };
      expect(budget.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
    });

    it(
      app.autoscaled
        ? 'is scaled by a HorizontalPodAutoscaler that owns its replica count'
        : 'singleton' in app
          ? 'runs as one pod, replaced on update, with no HorizontalPodAutoscaler'
          : 'is scaled by its replica count, with no HorizontalPodAutoscaler',
      () => {
        const deployment = get(rendered.base, 'Deployment', name) as unknown as DeploymentShape;
        const autoscaler = find(rendered.base, 'HorizontalPodAutoscaler', name) as
          | { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number } }
          | undefined;
        if (app.autoscaled) {
          expect(deployment.spec.replicas).toBeUndefined();
          expect(autoscaler?.spec.scaleTargetRef).toEqual({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name,
          });
          expect(autoscaler?.spec.minReplicas).toBeGreaterThanOrEqual(2);
        } else if ('singleton' in app) {
          // Never two at once, not even during an update; a drain may take the one.
          expect(deployment.spec.replicas).toBe(1);
          expect(deployment.spec.strategy?.type).toBe('Recreate');
          expect(autoscaler).toBeUndefined();
          const budget = get(rendered.base, 'PodDisruptionBudget', name) as unknown as {
            spec: { maxUnavailable?: number };
          };
          expect(budget.spec.maxUnavailable).toBe(1);
        } else {
          expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
          expect(autoscaler).toBeUndefined();
        }
      },
    );
  });

  it('puts the overlay in its namespace, with registry images at a pinned tag and six consumers', () => {
    const namespace = get(rendered.overlay, 'Namespace', 'wail-example');
    expect(namespace.metadata.namespace).toBeUndefined();
    for (const resource of rendered.overlay.filter((r) => r.kind !== 'Namespace'))
      expect([resource.kind, resource.metadata.name, resource.metadata.namespace]).toEqual([
        resource.kind,
        resource.metadata.name,
        'wail-example',
      ]);
    for (const app of apps)
      expect(containers(get(rendered.overlay, 'Deployment', `wail-${app.app}`))[0]!.image).toBe(
        `registry.example.com/wail/${app.app}:0.1.0`,
      );
    expect(
      (get(rendered.overlay, 'Deployment', 'wail-smart-consumer').spec as { replicas: number })
        .replicas,
    ).toBe(6);
  });
});

interface DeploymentShape {
  spec: {
    replicas?: number;
    strategy?: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: {
      spec: {
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        containers: {
          ports: { name: string; containerPort: number }[];
          securityContext: { allowPrivilegeEscalation: boolean };
          readinessProbe: { httpGet: unknown };
          livenessProbe: { httpGet: unknown };
          resources: { requests: Record<string, string>; limits: Record<string, string> };
          envFrom: unknown[];
        }[];
      };
    };
  };
}

/** Dockerfile instructions of each stage, continuation lines joined, comments dropped. */
function dockerStages(text: string): { from: string; instructions: [string, string][] }[] {
  const stages: { from: string; instructions: [string, string][] }[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const preamble: [string, string][] = [];
  for (const line of lines) {
    const [, instruction = '', rest = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (instruction.toUpperCase() === 'FROM') stages.push({ from: rest, instructions: [] });
    else (stages.at(-1)?.instructions ?? preamble).push([instruction.toUpperCase(), rest]);
  }
  return [{ from: '', instructions: preamble }, ...stages];
}

describe('the Dockerfiles', () => {
  const nodeMajor = /(\d+)/.exec(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } })
      .engines.node,
  )![1];
  const bundle = (
    JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')) as {
      targetDefaults: { build: { options: { outputFileName: string } } };
    }
  ).targetDefaults.build.options.outputFileName;

  it('keeps node_modules, builds and local state out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.wail', '.git'])
      expect(ignored).toContain(entry);
  });

  describe.each(apps)('$app', (app) => {
    const stages = dockerStages(readFileSync(join(root, 'apps', app.app, 'Dockerfile'), 'utf8'));
    const [preamble, ...built] = stages;
    const runtime = built.at(-1)!;
    const all = (instruction: string) =>
      runtime.instructions.filter(([i]) => i === instruction).map(([, rest]) => rest);
    let schema: EnvSchema;
    beforeAll(async () => {
      ({ schema } = await appConfig(app));
    });

    it(`builds with npm ci and nx, on node ${nodeMajor}-slim, copying only the bundle into the runtime`, () => {
      expect(preamble!.instructions).toContainEqual(['ARG', `NODE_VERSION=${nodeMajor}`]);
      for (const stage of built)
        expect(stage.from).toMatch(/^node:\$\{NODE_VERSION\}-slim AS \w+$/);
      const runs = built.flatMap((stage) =>
        stage.instructions.filter(([i]) => i === 'RUN').map(([, r]) => r),
      );
      expect(runs.some((run) => run.startsWith('npm ci'))).toBe(true);
      expect(runs.some((run) => run.includes(`npx nx run ${app.app}:build`))).toBe(true);
      expect(all('COPY')).toEqual(
        expect.arrayContaining([`--from=build /src/apps/${app.app}/dist/ ./`]),
      );
      expect(all('COPY').every((copy) => copy.startsWith('--from='))).toBe(true);
    });

    it('runs as a non-root user', () => {
      const users = all('USER');
      expect(users.length).toBeGreaterThan(0);
      expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    });

    it('exposes its ports and starts the bundle with node', () => {
      expect(
        all('EXPOSE')
          .flatMap((e) => e.split(/\s+/))
          .map(Number)
          .sort(),
      ).toEqual(
        Object.values(app.ports)
          .map((variable) => schema.properties[variable]!.default as number)
          .sort(),
      );
      const command = JSON.parse(all('CMD').at(-1)!) as string[];
      expect(command[0]).toBe('node');
      expect(command.at(-1)).toBe(bundle);
    });

    it('checks its health by fetching /healthz with node (no curl in the slim image)', () => {
      const [healthcheck] = all('HEALTHCHECK');
      const [, command = ''] = /CMD (\[.*\])$/.exec(healthcheck ?? '') ?? [];
      const [node, flag, script = ''] = JSON.parse(command) as string[];
      expect([node, flag]).toEqual(['node', '-e']);
      expect(() => new Script(script)).not.toThrow();
      const variable = app.ports.http;
      expect(script).toContain(
        `process.env.${variable} || ${String(schema.properties[variable]!.default)}`,
      );
      expect(script).toContain("'/healthz'");
    });
  });
});

/** A unit file as section → key → values (a key may repeat). */
function unitFile(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      sections.set(header[1]!, section);
      continue;
    }
    const [, key = '', value = ''] = /^([^=]+?)\s*=\s*(.*)$/.exec(line) ?? [];
    if (!section || key === '') throw new Error(`not a unit file line: ${line}`);
    section.set(key, [...(section.get(key) ?? []), value]);
  }
  return sections;
}

describe('the systemd units', () => {
  const units = apps.map((app) => join(systemd, `wail-${app.app}.service`));
  const hasAnalyze = installed('systemd-analyze', ['--version']);

  (hasAnalyze ? it : it.skip)(
    hasAnalyze
      ? 'pass systemd-analyze verify without a warning'
      : 'pass systemd-analyze verify without a warning — skipped: systemd-analyze is not installed',
    () => {
      const run = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    },
  );

  describe.each(apps)('wail-$app.service', (app) => {
    const unit = unitFile(readFileSync(join(systemd, `wail-${app.app}.service`), 'utf8'));
    const value = (section: string, key: string) => unit.get(section)?.get(key);

    it('runs the bundle as wail from /etc/wail, restarting on failure', () => {
      expect(value('Unit', 'Description')).toHaveLength(1);
      expect(value('Service', 'User')).toEqual(['wail']);
      expect(value('Service', 'EnvironmentFile')).toEqual([`/etc/wail/${app.app}.env`]);
      expect(value('Service', 'ExecStart')?.[0]).toMatch(
        new RegExp(`^/usr/bin/node .*/opt/wail/${app.app}/main\\.js$`),
      );
      expect(value('Service', 'Restart')).toEqual(['on-failure']);
      expect(value('Install', 'WantedBy')).toEqual(['multi-user.target']);
    });

    it('is hardened', () => {
      for (const [key, expected] of [
        ['NoNewPrivileges', 'yes'],
        ['ProtectSystem', 'strict'],
        ['ProtectHome', 'yes'],
        ['PrivateTmp', 'yes'],
        ['CapabilityBoundingSet', ''],
      ] as const)
        expect([key, value('Service', key)]).toEqual([key, [expected]]);
    });

    it('has an example env file with every variable of its config schema, accepted once its tokens are set', async () => {
      const { schema, loadConfig } = await appConfig(app);
      const example = Object.fromEntries(
        readFileSync(join(systemd, `${app.app}.env.example`), 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.startsWith('#'))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      expect(Object.keys(example).sort()).toEqual(Object.keys(schema.properties).sort());
      expect(() => loadConfig({ ...example, ...app.tokens })).not.toThrow();
    });
  });
});
