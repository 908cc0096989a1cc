/**
 * Shared jest settings. Each project's jest.config.cjs spreads this and sets
 * its rootDir. Type checking is `npm run typecheck`; tests only transpile.
 */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: { isolatedModules: true, module: 'commonjs', moduleResolution: 'node10' },
        diagnostics: false,
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // `nx build` output carries a copy of the project's package.json: keep it out of the module map.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  setupFiles: [require('node:path').join(__dirname, 'jest.setup.cjs')],
  clearMocks: true,
  passWithNoTests: true,
  // A client a failed integration test left open (a Kafka socket) must not
  // hold the run until CI's time limit; results are written before the exit.
  forceExit: true,
};
