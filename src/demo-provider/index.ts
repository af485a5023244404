export { buildDemoApp, type DemoApp } from './build-demo-app.js';
export { createDemoServer } from './create-demo-server.js';
export {
  DEMO_DEFAULTS,
  DEMO_ENV,
  parseDemoProviderConfig,
  type DemoClient,
  type DemoProviderConfig,
} from './demo-provider-config.js';
export { createFileAdapterFactory, type FileAdapterOptions } from './file-adapter.js';
export { loadRobotSecret, type LoadedRobotSecret } from './load-robot-secret.js';
export { parseRobotClient, ROBOT_DEFAULT_CLIENT_ID, ROBOT_ENV, type DemoRobotClient } from './robot-client.js';
export { grantRobotScopes, isRobotScope, type RobotScopeDecision } from './robot-scope-policy.js';
