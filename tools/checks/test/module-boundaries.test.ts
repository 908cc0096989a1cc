import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(__dirname, '..', '..', '..');

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; message: string }[];
}

interface Probe {
  file: string;
  source: string;
  forbidden: boolean;
  /** The rule that must (or must not) report the probe. */
  rule: string;
}

const boundaryRule = '@nx/enforce-module-boundaries';

/**
 * Writes throw-away source files into real projects and lints them with the
 * workspace's own ESLint config, so the boundary table in eslint.config.mjs
 * (and the ban on `export *`) is what is tested, not a copy of it. ESLint runs
 * as the CLI `npm run lint` uses.
 */
const probes: Probe[] = [
  {
    file: 'apps/producer-proxy/src/__boundary_probe_app__.ts',
    source: "import { compose } from '@wail/schema-repository';\nexport const probe = compose;\n",
    forbidden: true,
    rule: boundaryRule,
  },
  {
    file: 'libs/intent/src/__boundary_probe_driver__.ts',
    source: "import { Kafka } from 'kafkajs';\nexport const probe = Kafka;\n",
    forbidden: true,
    rule: boundaryRule,
  },
  {
    file: 'libs/intent/src/__boundary_probe_lib__.ts',
    source: "import { KafkaClient } from '@wail/kafka';\nexport const probe = KafkaClient;\n",
    forbidden: true,
    rule: boundaryRule,
  },
  {
    file: 'libs/contracts/src/__boundary_probe_driver__.ts',
    source: "import { Kafka } from 'kafkajs';\nexport const probe = Kafka;\n",
    forbidden: true,
    rule: boundaryRule,
  },
  {
    file: 'libs/contracts/src/__boundary_probe_lib__.ts',
    source: "import { RouteCache } from '@wail/control-plane';\nexport const probe = RouteCache;\n",
    forbidden: true,
    rule: boundaryRule,
  },
  {
    file: 'libs/stores/mysql/src/__boundary_probe_store__.ts',
    source:
      "import { CassandraConnection } from '@wail/store-cassandra';\nexport const probe = CassandraConnection;\n",
    forbidden: true,
    rule: boundaryRule,
  },
  {
    file: 'libs/stores/mysql/src/__boundary_probe_wiring__.ts',
    source: "import { openStores } from '@wail/wiring';\nexport const probe = openStores;\n",
    forbidden: true,
    rule: boundaryRule,
  },
  {
    file: 'apps/producer-proxy/src/__boundary_probe_wiring_allowed__.ts',
    source: "import { openStores } from '@wail/wiring';\nexport const probe = openStores;\n",
    forbidden: false,
    rule: boundaryRule,
  },
  {
    file: 'apps/producer-proxy/src/__boundary_probe_allowed__.ts',
    source: "import { WailError } from '@wail/errors';\nexport const probe = WailError;\n",
    forbidden: false,
    rule: boundaryRule,
  },
  {
    file: 'libs/errors/src/__export_all_probe__.ts',
    source: "export * from './index';\n",
    forbidden: true,
    rule: 'no-restricted-syntax',
  },
  {
    file: 'libs/errors/src/__export_named_probe__.ts',
    source: "export { WailError } from './index';\n",
    forbidden: false,
    rule: 'no-restricted-syntax',
  },
  {
    file: 'libs/kafka/src/__boundary_probe_contracts__.ts',
    source: "import { sameTopic } from '@wail/contracts';\nexport const probe = sameTopic;\n",
    forbidden: false,
    rule: boundaryRule,
  },
  {
    file: 'libs/stores/store/src/__boundary_probe_contracts__.ts',
    source: "import { sameTopic } from '@wail/contracts';\nexport const probe = sameTopic;\n",
    forbidden: false,
    rule: boundaryRule,
  },
];

describe('module boundaries', () => {
  let results: LintResult[] = [];
  let exitStatus: number | null = null;

  beforeAll(() => {
    for (const probe of probes) {
      mkdirSync(dirname(join(root, probe.file)), { recursive: true });
      writeFileSync(join(root, probe.file), probe.source);
    }
    try {
      const lint = spawnSync(
        join(root, 'node_modules', '.bin', 'eslint'),
        ['--format', 'json', ...probes.map((probe) => probe.file)],
        { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      exitStatus = lint.status;
      results = JSON.parse(lint.stdout) as LintResult[];
    } finally {
      for (const probe of probes) rmSync(join(root, probe.file), { force: true });
    }
  }, 120_000);

  it('makes the lint command fail', () => {
    expect(exitStatus).toBe(1);
  });

  it.each(probes)('$file: forbidden=$forbidden by $rule', (probe) => {
    const result = results.find((candidate) => candidate.filePath === join(root, probe.file));
    expect(result).toBeDefined();
    const ruleErrors = result!.messages.filter((message) => message.ruleId === probe.rule);
    if (probe.forbidden) expect(ruleErrors.length).toBeGreaterThan(0);
    else expect(ruleErrors).toEqual([]);
  });
});
