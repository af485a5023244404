/**
 * The status file credmon-status reads (issue 19): written by a real Credmon's StatusWriter after its scans, into a
 * real credential directory, root:group 0640, holding what the credmon knows (state, expiry, next look, the problem
 * as logged) and never a token or secret; a SIGHUP storm's scans make one write per interval.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lookupFrom, parseCredmonConfig } from '../../src/config/index.js';
import { CredentialDirectory, STATUS_FILE } from '../../src/credentials/index.js';
import { Credmon } from '../../src/credmon/index.js';
import { LocalIssuer, ensureSigningKey, loadSigningKey } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { providerLabelOf } from '../../src/metrics/index.js';
import { StatusWriter, parseStatusFile, sortForAttention } from '../../src/status/index.js';
import { json, startTokenEndpoint } from './fake-token-endpoint.js';

const root = await mkdtemp(join(tmpdir(), 'credmon-status-'));
const failing = await startTokenEndpoint(() => json(503, { error: 'temporarily_unavailable' }));
const SECRETS = ['rt-BOB-5151', 'at-OLD-6262', 'client-SECRET-7373'];
const cleanups: Array<() => Promise<void> | void> = [() => failing.close()];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await rm(root, { recursive: true, force: true });
});

const credDir = join(root, 'creds');
const config = parseCredmonConfig(
  lookupFrom(
    new Map(
      Object.entries({
        SEC_CREDENTIAL_DIRECTORY_OAUTH: credDir,
        LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
        LOCAL_CREDMON_PRIVATE_KEY: join(root, 'keys', 'scitokens-private.pem'),
        LOCAL_CREDMON_PUBLIC_KEY: join(root, 'keys', 'scitokens.pem'),
        LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
        CERN_CLIENT_ID: 'sandbox',
      }),
    ),
  ),
);

async function put(user: string, file: string, content: string): Promise<void> {
  await mkdir(join(credDir, user), { recursive: true, mode: 0o700 });
  await writeFile(join(credDir, user, file), content, { mode: 0o600 });
}

describe('the status file', () => {
  it('says what the credmon knows of each credential, the failing one with its reason, and no secret', async () => {
    let writes = 0;
    const directory = new (class extends CredentialDirectory {
      override writeStatusFile(content: string): Promise<void> {
        writes++;
        return super.writeStatusFile(content);
      }
    })(credDir);
    await directory.prepare();
    await ensureSigningKey(config.local.privateKeyPath, config.local.publicKeyPath);
    const { logger } = createMemoryLogger('credmon', true);
    const issuer = new LocalIssuer(config.local, await loadSigningKey(config.local.privateKeyPath, 'local'), logger);
    await put('alice', 'scitokens.top', '');
    await put('bob', 'cern.top', `{"refresh_token": "${SECRETS[0]}"}`);
    const meta = { client_id: 'c', client_secret: SECRETS[2], token_url: failing.url, use_refresh_token: true };
    await put('bob', 'cern.meta', JSON.stringify(meta));
    await put('bob', 'cern.use', `{"access_token": "${SECRETS[1]}", "token_type": "Bearer", "expires_in": 10}`);
    const nowMs = Date.now() + 60_000;
    const credmon = new Credmon({
      config,
      directory,
      issuers: new Map([['scitokens', issuer]]),
      log: logger,
      now: () => nowMs,
    });
    cleanups.push(() => credmon.stop());
    const providerOf = providerLabelOf(config);
    const writer = new StatusWriter(credmon, {
      directory,
      providerOf,
      scanIntervalS: 60,
      log: logger,
      now: () => nowMs,
      minIntervalMs: 300,
    });
    cleanups.push(() => writer.close());

    await credmon.scanOnce();
    await credmon.settle();
    await writer.flush();
    const path = join(credDir, STATUS_FILE);
    assert.equal((await stat(path)).mode & 0o777, 0o640);
    const text = (await directory.readStatusFile())?.content ?? '';
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} in the status file`);
    const file = parseStatusFile(path, text);
    assert.equal(file.pid, process.pid);
    assert.equal(file.lastScanMs, nowMs);
    const [first, second] = sortForAttention(file.credentials);
    assert.equal(first?.user, 'bob');
    assert.equal(first?.state, 'failing');
    assert.equal(first?.kind, 'oauth');
    assert.equal(first?.failures, 1);
    assert.match(first?.problem ?? '', /^Failed to refresh cern tokens for user bob \(temporarily\): .*503/);
    assert.ok((first?.nextMs ?? 0) > nowMs, 'retried later, with backoff');
    assert.equal(second?.user, 'alice');
    assert.equal(second?.state, 'fresh');
    assert.equal(second?.provider, 'scitokens');
    assert.equal((second?.expiresMs ?? 0) - (second?.renewedMs ?? 0), 1_200_000, 'the lifetime of a local token');

    // A storm of scans (every SIGHUP makes one): no write until the interval has passed, then the last state.
    const before = writes;
    await rm(join(credDir, 'alice', 'scitokens.top'));
    for (let i = 0; i < 20; i++) await credmon.scanOnce();
    assert.equal(writes, before, 'no write within the interval');
    await writer.flush();
    assert.equal(writes, before + 1, 'one write for 20 scans');
    const last = parseStatusFile(path, (await directory.readStatusFile())?.content ?? '');
    assert.deepEqual(
      last.credentials.map((c) => c.user),
      ['bob'],
      "the last state: alice's credential is gone",
    );
  });
});
