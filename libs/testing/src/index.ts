export { stoppedDependencyEnv } from './readiness';
export { deadAddress, stackEnv, uniqueName } from './stack-env';
