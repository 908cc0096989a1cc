export { removeBucket } from './buckets';
export { describeHealth } from './health-suite';
export {
  runServiceUntilExit,
  spawnServiceProcess,
  startServiceProcess,
  waitFor,
} from './processes';
export type { ServiceProcess, SpawnedService } from './processes';
export { stoppedDependencyEnv } from './readiness';
export { deadAddress, stackEnv, uniqueName } from './stack-env';
export { postModel, putTableRoutes } from './repository';
