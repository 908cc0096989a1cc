import { describeHealth } from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose } from '../src/main';

describeHealth(
  'schema-repository',
  ['mysql'],
  { loadConfig, compose },
  { WAIL_REPOSITORY_PORT: 'eighty', WAIL_MYSQL_URL: 'postgres://x' },
);
