import { loadConfig } from './config';

describe('repository schema bounds configuration', () => {
  it('defaults to length 1,000,000, depth 64, 1,000 named types and unions of 100', () => {
    expect(loadConfig({}).schemaBounds).toEqual({
      maxLength: 1_000_000,
      maxDepth: 64,
      maxNamedTypes: 1000,
      maxUnionBranches: 100,
    });
  });

  it('reads each bound from its variable', () => {
    expect(
      loadConfig({
        WAIL_REPOSITORY_SCHEMA_MAX_LENGTH: '2000000',
        WAIL_REPOSITORY_SCHEMA_MAX_DEPTH: '128',
        WAIL_REPOSITORY_SCHEMA_MAX_NAMED_TYPES: '5000',
        WAIL_REPOSITORY_SCHEMA_MAX_UNION_BRANCHES: '300',
      }).schemaBounds,
    ).toEqual({ maxLength: 2_000_000, maxDepth: 128, maxNamedTypes: 5000, maxUnionBranches: 300 });
  });

  it('refuses a bound that is not a positive integer, or a depth over 1,000, naming the variable', () => {
    expect(() => loadConfig({ WAIL_REPOSITORY_SCHEMA_MAX_DEPTH: '0' })).toThrow(
      /WAIL_REPOSITORY_SCHEMA_MAX_DEPTH \("0"\)/,
    );
    expect(() => loadConfig({ WAIL_REPOSITORY_SCHEMA_MAX_DEPTH: '5000' })).toThrow(
      /WAIL_REPOSITORY_SCHEMA_MAX_DEPTH/,
    );
    expect(() => loadConfig({ WAIL_REPOSITORY_SCHEMA_MAX_UNION_BRANCHES: 'many' })).toThrow(
      /WAIL_REPOSITORY_SCHEMA_MAX_UNION_BRANCHES \("many"\)/,
    );
  });
});
