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
