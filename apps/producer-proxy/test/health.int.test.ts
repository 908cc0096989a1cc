import { describeHealth } from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose } from '../src/main';

describeHealth(
  'producer-proxy',
  ['kafka', 'cassandra', 'mysql', 'postgres', 'redis'],
  { loadConfig, compose },
  { WAIL_KAFKA_BROKERS: 'nope', WAIL_MYSQL_URL: 'postgres://x' },
);
