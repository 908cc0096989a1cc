import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * Module boundaries, as a table. Each project carries one `type:*` tag in its
 * package.json; a source may import only projects whose tags are listed here.
 *
 * | source tag      | may import                                      | notes                                  |
 * | --------------- | ----------------------------------------------- | -------------------------------------- |
 * | type:app        | type:wiring, type:lib, type:store,              | never another app                      |
 * |                 | type:store-api, type:pure                       |                                        |
 * | type:tool       | type:wiring, type:lib, type:store,              | CLIs, benchmarks, dev runner (a bench  |
 * |                 | type:store-api, type:pure, type:testing         | server opens stores as services do)    |
 * | type:infra      | type:lib, type:store, type:store-api, type:pure | the local stack driver (readiness)     |
 * | type:wiring     | type:lib, type:store, type:store-api, type:pure | stores, readiness, common config       |
 * | type:store      | type:store-api, type:lib, type:pure             | one adapter never imports another      |
 * | type:store-api  | type:lib, type:pure                             | the store interface                    |
 * | type:lib        | type:lib, type:pure                             | kafka, telemetry, config, errors, ...  |
 * | type:testing    | type:lib, type:store, type:store-api, type:pure | test helpers                           |
 * | type:pure       | type:pure                                       | no driver, no framework, no I/O        |
 *
 * The pure libs are @wail/intent, @wail/errors and @wail/contracts (the types,
 * rules and wire shapes the services share), so every project may import them.
 *
 * Any project's *tests* may also import type:testing (@wail/testing); a rule
 * below keeps it out of shipped sources.
 */
const boundaries = [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: [
      'type:wiring',
      'type:lib',
      'type:store',
      'type:store-api',
      'type:pure',
      'type:testing',
    ],
  },
  {
    sourceTag: 'type:tool',
    onlyDependOnLibsWithTags: [
      'type:wiring',
      'type:lib',
      'type:store',
      'type:store-api',
      'type:pure',
      'type:testing',
    ],
  },
  {
    sourceTag: 'type:infra',
    onlyDependOnLibsWithTags: ['type:lib', 'type:store', 'type:store-api', 'type:pure'],
  },
  {
    sourceTag: 'type:wiring',
    onlyDependOnLibsWithTags: [
      'type:lib',
      'type:store',
      'type:store-api',
      'type:pure',
      'type:testing',
    ],
  },
  {
    sourceTag: 'type:store',
    onlyDependOnLibsWithTags: ['type:store-api', 'type:lib', 'type:pure', 'type:testing'],
  },
  { sourceTag: 'type:store-api', onlyDependOnLibsWithTags: ['type:lib', 'type:pure'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:pure', 'type:testing'] },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:lib', 'type:store', 'type:store-api', 'type:pure'],
  },
  {
    sourceTag: 'type:pure',
    onlyDependOnLibsWithTags: ['type:pure'],
    bannedExternalImports: [
      'kafkajs',
      '@kafkajs/*',
      'cassandra-driver',
      'mysql2',
      'mysql2/*',
      'fastify',
      'fastify-*',
      '@fastify/*',
      'pino',
      'prom-client',
      '@opentelemetry/*',
      'node:fs',
      'node:net',
      'node:http',
      'node:child_process',
      'fs',
      'net',
      'http',
      'child_process',
    ],
  },
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules',
      '**/dist',
      '**/coverage',
      'reports',
      '.wail',
      '.nx',
      '**/fixtures/lint/**',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: boundaries,
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false } },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
      // A lib's public API is the list of names in its index.ts: `export *`
      // would publish whatever a module happens to export, and hide where a name comes from.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportAllDeclaration',
          message: 'export names one by one (`export { a, b } from`), never `export *`',
        },
      ],
      // `!` follows an explicit presence check (Map.get after has, an index
      // within bounds) that TypeScript cannot narrow; it is reviewed, not linted.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/src/**/*.ts'],
    // The chaos harness is a test harness run as a command: it starts services as the tests do.
    ignores: ['**/*.test.ts', 'libs/testing/**', 'tools/chaos/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@wail/testing', message: 'test helpers belong in tests only' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
);
