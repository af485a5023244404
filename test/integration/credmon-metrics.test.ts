/**
 * The credmon's Prometheus metrics (issue 19) over its real metrics server: a real Credmon over a temporary credential
 * directory, a local credential, OAuth credentials whose token endpoint fails (503) or refuses (invalid_grant), one
 * with a handle; the exposition text as Prometheus reads it. No series names a user, a handle or a token.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lookupFrom, parseCredmonConfig } from '../../src/config/index.js';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { Credmon } from '../../src/credmon/index.js';
import { LocalIssuer, ensureSigningKey, loadSigningKey } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { CredmonMetrics, providerLabelOf, startMetricsServer } from '../../src/metrics/index.js';
import { json, startTokenEndpoint } from './fake-token-endpoint.js';

const root = await mkdtemp(join(tmpdir(), 'credmon-metrics-'));
const SECRETS = ['rt-ALICE-7777', 'rt-CAROL-8888', 'at-OLD-9999', 'client-SECRET-1234'];

const failing = await startTokenEndpoint(() => json(503, { error: 'temporarily_unavailable' }));
const refusing = await startTokenEndpoint(() => json(400, { error: 'invalid_grant' }));
const cleanups: Array<() => Promise<void>> = [() => failing.close(), () => refusing.close()];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await rm(root, { recursive: true, force: true });
});

const credDir = join(root, 'creds');
const config = parseCredmonConfig(
  lookupFrom(
    new Map(
      Object.entries({
        CONDOR_VERSION: '25.14.1',
        SEC_CREDENTIAL_DIRECTORY_OAUTH: credDir,
        LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
        LOCAL_CREDMON_PRIVATE_KEY: join(root, 'keys', 'scitokens-private.pem'),
        LOCAL_CREDMON_PUBLIC_KEY: join(root, 'keys', 'scitokens.pem'),
        LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
        LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens',
        MYTOKENS_CLIENT_ID: 'sandbox',
        CERN_CLIENT_ID: 'sandbox',
      }),
    ),
  ),
);

async function put(user: string, file: string, content: string): Promise<void> {
  await mkdir(join(credDir, user), { recursive: true, mode: 0o700 });
  await writeFile(join(credDir, user, file), content, { mode: 0o600 });
}

const meta = (url: string): string =>
  `{"client_id": "c", "client_secret": "${SECRETS[3]}", "token_url": "${url}", "use_refresh_token": true}`;
const expiredUse = `{"access_token": "${SECRETS[2]}", "token_type": "Bearer", "expires_in": 10}`;

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the one series `name{labels}` (labels in any order), or undefined. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    if (
      Object.entries(labels).every(([k, v]) => found[k] === v) &&
      Object.keys(found).length === Object.keys(labels).length
    )
      return Number(match[3]);
  }
  return undefined;
}

describe('credmon metrics', () => {
  it('count credentials by provider, kind and state, tokens written, failures by class; no user named', async () => {
    const directory = new CredentialDirectory(credDir);
    await directory.prepare();
    await ensureSigningKey(config.local.privateKeyPath, config.local.publicKeyPath);
    const { logger } = createMemoryLogger('credmon', true);
    const issuer = new LocalIssuer(config.local, await loadSigningKey(config.local.privateKeyPath, 'local'), logger);
    await put('alice', 'scitokens.top', '');
    await put('alice', 'mytokens_work.top', `{"refresh_token": "${SECRETS[0]}"}`);
    await put('alice', 'mytokens_work.meta', meta(failing.url));
    await put('alice', 'mytokens_work.use', expiredUse);
    // A user's own spelling of a configured provider is that provider, not a new label.
    await put('alice', 'MyTokens_home.top', `{"refresh_token": "${SECRETS[0]}"}`);
    await put('alice', 'MyTokens_home.meta', meta(failing.url));
    await put('carol', 'cern.top', `{"refresh_token": "${SECRETS[1]}"}`);
    await put('carol', 'cern.meta', meta(refusing.url));
    await put('carol', 'cern.use', expiredUse);
    let nowMs = Date.now() + 60_000;
    const credmon = new Credmon({
      config,
      directory,
      issuers: new Map([['scitokens', issuer]]),
      log: logger,
      now: () => nowMs,
      random: () => 0,
    });
    cleanups.push(() => credmon.stop());
    const providerOf = providerLabelOf(config);
    const metrics = new CredmonMetrics(credmon, { scanIntervalS: 60, providerOf, now: () => nowMs });
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, metrics);
    cleanups.push(() => server.close());
    const url = `http://${server.address}/metrics`;

    const before = await scrape(url);
    assert.equal(valueOf(before, 'credmon_scan_interval_seconds'), 60);
    assert.equal(valueOf(before, 'credmon_scan_duration_seconds_count'), 0);
    assert.match(before, /^process_resident_memory_bytes \d+/m);

    await credmon.scanOnce();
    await credmon.settle();
    const text = await scrape(url);
    const local = { provider: 'scitokens', kind: 'local' };
    assert.equal(valueOf(text, 'credmon_credentials', { ...local, state: 'fresh' }), 1);
    assert.equal(valueOf(text, 'credmon_tokens_written_total', local), 1);
    const remaining = valueOf(text, 'credmon_token_min_remaining_seconds', { provider: 'scitokens' }) ?? 0;
    assert.ok(remaining > 1190 && remaining <= 1200, `scitokens: ${remaining} s left`);

    const work = { provider: 'mytokens', kind: 'oauth' };
    assert.equal(valueOf(text, 'credmon_credentials', { ...work, state: 'failing' }), 2, 'neither a handle nor case');
    assert.equal(valueOf(text, 'credmon_refresh_failures_total', { provider: 'mytokens', class: 'transient' }), 2);
    assert.ok(!/provider="MyTokens/.test(text), 'no label in a spelling the configuration does not have');
    assert.ok((valueOf(text, 'credmon_token_min_remaining_seconds', { provider: 'mytokens' }) ?? 0) < 0, 'expired');

    const cern = { provider: 'cern', kind: 'oauth' };
    assert.equal(valueOf(text, 'credmon_credentials', { ...cern, state: 'rejected' }), 1);
    assert.equal(valueOf(text, 'credmon_refresh_failures_total', { provider: 'cern', class: 'rejected' }), 1);
    assert.equal(
      valueOf(text, 'credmon_token_min_remaining_seconds', { provider: 'cern' }),
      undefined,
      'a rejected credential waits for its user; its state says so',
    );

    assert.equal(valueOf(text, 'credmon_scan_duration_seconds_count'), 1);
    assert.equal(valueOf(text, 'credmon_last_scan_timestamp_seconds'), nowMs / 1000);
    for (const word of ['alice', 'carol', 'work', 'home', ...SECRETS])
      assert.ok(!text.includes(word), `${word} in the metrics`);

    nowMs += 3_600_000;
    await credmon.scanOnce();
    const later = await scrape(url);
    assert.equal(valueOf(later, 'credmon_tokens_written_total', local), 2, 'renewed after its half-life');
    assert.equal(valueOf(later, 'credmon_scan_duration_seconds_count'), 2);
  });

  it('serves /metrics only: 404 elsewhere, 405 for other methods; a port in use is refused', async () => {
    const metrics = { expose: () => Promise.resolve({ body: 'x 1\n', contentType: 'text/plain' }) };
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, metrics);
    cleanups.push(() => server.close());
    assert.equal((await fetch(`http://${server.address}/`)).status, 404);
    assert.equal((await fetch(`http://${server.address}/metrics`, { method: 'POST' })).status, 405);
    const port = Number(server.address.split(':').pop());
    await assert.rejects(startMetricsServer({ host: '127.0.0.1', port }, metrics), /EADDRINUSE/);
  });
});
