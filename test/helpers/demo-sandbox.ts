/**
 * The sandbox with the demo OAuth provider (compose profile demo) and a Chromium that trusts exactly their two server
 * keys: what every browser-login test starts in its `before` hook and disposes in its `after` hook.
 */
import assert from 'node:assert/strict';
import type { JSONWebKeySet } from 'jose';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { httpsGet } from './https.js';
import { freePort } from './free-port.js';
import { startSandbox, type SandboxHandle } from './sandbox.js';

const TLS_DIR = '/var/lib/credmon-sandbox/tls';

export interface DemoSandbox extends AsyncDisposable {
  readonly sandbox: SandboxHandle;
  readonly browser: Browser;
  /** The sandbox CA (PEM), which issued both server certificates. */
  readonly ca: string;
  /** The demo provider's HTTPS port on 127.0.0.1 and its issuer URL, https://localhost:<port>. */
  readonly demoPort: number;
  readonly demoUrl: string;
  /** The settings the sandbox was started with (DEMO_HTTPS_PORT included), for a later `reconfigure`. */
  readonly env: Record<string, string>;
}

/** Starts the sandbox with `env` and `profiles` (demo added) and a browser; a failed start leaves nothing running. */
export async function startDemoSandbox(env: Record<string, string> = {}, profiles = ['demo']): Promise<DemoSandbox> {
  const demoPort = await freePort();
  const started = { DEMO_HTTPS_PORT: String(demoPort), ...env };
  const sandbox = await startSandbox(started, [...new Set([...profiles, 'demo'])]);
  try {
    const ca = await sandbox.ca();
    const certOf = async (n: string): Promise<string> => (await sandbox.exec(['cat', `${TLS_DIR}/${n}.crt`])).output;
    const browser = await launchBrowser(ca, await Promise.all(['server', 'demo-provider'].map(certOf)));
    const dispose = async (): Promise<void> => {
      try {
        await browser.close();
      } finally {
        await sandbox.stop();
      }
    };
    const demoUrl = `https://localhost:${demoPort}`;
    return { sandbox, browser, ca, demoPort, demoUrl, env: started, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
}

/** The demo provider's signing keys as a relying party finds them: its discovery document (issuer checked), then JWKS. */
export async function demoJwks(demo: Pick<DemoSandbox, 'demoUrl' | 'ca'>): Promise<JSONWebKeySet> {
  const discoveryUrl = `${demo.demoUrl}/.well-known/openid-configuration`;
  const discovery = JSON.parse((await httpsGet(discoveryUrl, demo.ca)).body) as { issuer: string; jwks_uri: string };
  assert.equal(discovery.issuer, demo.demoUrl);
  return JSON.parse((await httpsGet(discovery.jwks_uri, demo.ca)).body) as JSONWebKeySet;
}
