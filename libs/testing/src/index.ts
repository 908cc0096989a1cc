export { describeHealth } from './health-suite';
export { runServiceUntilExit, startServiceProcess, waitFor } from './processes';
export type { ServiceProcess } from './processes';
export { stoppedDependencyEnv } from './readiness';
export { deadAddress, stackEnv, uniqueName } from './stack-env';
export { putTableRoutes } from './repository';
