import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { lookupFrom, parseCredmonConfig } from '../../../src/config/index.js';
import { setUpLocalIssuers } from '../../../src/credmon/set-up-local-issuers.js';
import { LocalIssuer } from '../../../src/issuer/index.js';
import { createMemoryLogger } from '../../../src/log/index.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'credmon-issuers-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function configWith(knobs: Record<string, string>): ReturnType<typeof parseCredmonConfig> {
  return parseCredmonConfig(
    lookupFrom(
      new Map(
        Object.entries({
          CONDOR_VERSION: '25.0.0',
          SEC_CREDENTIAL_DIRECTORY_OAUTH: join(base, 'oauth_credentials'),
          LOCAL_CREDMON_PRIVATE_KEY: join(base, 'keys', 'scitokens-private.pem'),
          LOCAL_CREDMON_PUBLIC_KEY: join(base, 'keys', 'scitokens.pem'),
          LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
          LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
          ...knobs,
        }),
      ),
    ),
  );
}

describe('setUpLocalIssuers', () => {
  it('gives each local provider its issuer, generating the shared key when none exists', async () => {
    const config = configWith({});
    const { logger, lines } = createMemoryLogger('credmon', true);
    const issuers = await setUpLocalIssuers(config.localProviders, logger);
    assert.deepEqual([...issuers.keys()], [config.local.providerName]);
    assert.ok(issuers.get(config.local.providerName) instanceof LocalIssuer);
    assert.ok(
      lines.some((l) => l.includes('Generated a new ES256 signing key (none existed)')),
      lines.join(''),
    );
    assert.ok(
      lines.some((l) => l.includes('Local issuer ready')),
      lines.join(''),
    );
  });

  it('disables a provider whose own key is missing, naming it, and keeps the others', async () => {
    const config = configWith({
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens, chemistry',
      LOCAL_CREDMON_CHEMISTRY_PRIVATE_KEY: join(base, 'keys', 'chemistry-private.pem'),
    });
    const { logger, lines } = createMemoryLogger('credmon', true);
    const issuers = await setUpLocalIssuers(config.localProviders, logger);
    assert.ok(issuers.get('scitokens') instanceof LocalIssuer);
    assert.ok(issuers.get('chemistry') instanceof Error);
    assert.ok(
      lines.some((l) => l.includes('Local issuer chemistry disabled')),
      lines.join(''),
    );
  });
});
