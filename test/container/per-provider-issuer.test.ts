/**
 * A second local issuer in the running sandbox, HTCondor 25 (LOCAL_CREDMON_PROVIDER_NAMES came in 24.3), issue 18:
 * the provider "chemistry" signs with its own key as its own issuer (`$(LOCAL_CREDMON_ISSUER)/chemistry`), the web app
 * publishes that issuer's discovery document and JWKS, and the storage, told to trust it (SANDBOX_STORAGE_ISSUERS),
 * accepts a job's chemistry token where its scopes allow and refuses it elsewhere. Then crash safety in the container:
 * the credmon killed with SIGKILL again and again around a scheduled switch (condor_master restarts it), and
 * `credmon-key rotate` killed at random moments; afterwards every key set reads, and every `.use` of every user and
 * provider verifies against the JWKS its issuer publishes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { httpsGet } from '../helpers/https.js';
import { SERIES } from '../helpers/image.js';
import { accessTokenOf, submitAndWait } from '../helpers/jobs.js';
import { startSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const CRED_DIR = '/var/lib/condor/oauth_credentials';
const LIFETIME_S = 90;
/** More than the storage's 60 s key cache on forky (SCITOKEN_CONFIG_KEYCACHE_UPDATE_INTERVAL_S). */
const LEAD_S = 75;
const USERS = ['submitter', 'alice'] as const;
const PROVIDERS = ['scitokens', 'chemistry'] as const;

const EXTRA_CONFIG = `LOCAL_CREDMON_PROVIDER_NAMES = scitokens, chemistry
LOCAL_CREDMON_chemistry_ISSUER = $(LOCAL_CREDMON_ISSUER)/chemistry
LOCAL_CREDMON_chemistry_PRIVATE_KEY = /var/lib/credmon-sandbox/keys/chemistry-private.pem
LOCAL_CREDMON_chemistry_KEY_ID = chem
LOCAL_CREDMON_chemistry_AUTHZ_TEMPLATE = read:/user/{username}/chemistry write:/user/{username}/chemistry
# condor_master restarts a killed credmon within a second or two, however often it dies.
MASTER_BACKOFF_CONSTANT = 1
MASTER_BACKOFF_FACTOR = 1.0
MASTER_BACKOFF_CEILING = 2`;

const JOB_SCRIPT = `#!/bin/bash
# Writes and reads the user's chemistry area with the job's token, then tries outside it.
u="$SANDBOX_STORAGE_URL/user/\${USER:-$(id -un)}"
(umask 077; printf 'Authorization: Bearer %s\\n' "$(cat "$BEARER_TOKEN_FILE")" > auth)
echo "inside $(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H @auth --data-binary "chem $1" "$u/chemistry/r.txt")"
echo "read $(curl -sS -H @auth "$u/chemistry/r.txt")"
echo "outside $(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H @auth --data-binary x "$u/elsewhere.txt")"
`;
const JOB_SUB = `universe = vanilla
executable = chemistry.sh
arguments = $(Cluster)
use_oauth_services = chemistry
environment = "SANDBOX_BEARER_TOKEN_NAME=chemistry"
output = chemistry.out
error = chemistry.err
log = chemistry.log
queue
`;

interface KeyStatus {
  kid: string;
  state: string;
}

describe(
  'a per-provider local issuer, verified at the storage; crashes around rotations',
  { timeout: 1_200_000 },
  () => {
    let sandbox: SandboxHandle;
    let ca: string;

    before(async () => {
      assert.equal(SERIES, '25', 'several local providers need HTCondor 24.3+: run this file with SANDBOX_SERIES=25');
      sandbox = await startSandbox({
        SANDBOX_USERS: 'alice',
        SANDBOX_STORAGE_ISSUERS: '/chemistry',
        LOCAL_CREDMON_TOKEN_LIFETIME: String(LIFETIME_S),
        LOCAL_CREDMON_KEY_ROTATION_LEAD: String(LEAD_S),
        CONDOR_EXTRA_CONFIG: EXTRA_CONFIG,
      });
      ca = await sandbox.ca();
      for (const user of USERS) {
        await sandbox.sh(user, `cat > chemistry.sh <<'EOF'\n${JOB_SCRIPT}EOF\nchmod +x chemistry.sh`);
        await sandbox.sh(user, `cat > chemistry.sub <<'EOF'\n${JOB_SUB}EOF`);
      }
    });

    after(async () => {
      await sandbox?.stop();
    });

    const issuerOf = (provider: string): string => `${sandbox.baseUrl}${provider === 'chemistry' ? '/chemistry' : ''}`;

    async function jwksOf(provider: string): Promise<JSONWebKeySet> {
      const discovery = await httpsGet(`${issuerOf(provider)}/.well-known/openid-configuration`, ca);
      assert.equal(discovery.status, 200, `${provider} discovery: ${discovery.body}`);
      const doc = JSON.parse(discovery.body) as { issuer: string; jwks_uri: string };
      assert.equal(doc.issuer, issuerOf(provider));
      const res = await httpsGet(doc.jwks_uri, ca);
      assert.equal(res.status, 200);
      return JSON.parse(res.body) as JSONWebKeySet;
    }

    async function keyStatus(): Promise<Map<string, KeyStatus[]>> {
      const shown = await sandbox.exec(['credmon-key', 'status', '--json']);
      assert.equal(shown.exitCode, 0, `credmon-key status: ${shown.output}`);
      const parsed = JSON.parse(shown.output) as { providers: Array<{ provider: string; keys: KeyStatus[] }> };
      return new Map(parsed.providers.map((p) => [p.provider, p.keys]));
    }

    const useToken = async (user: string, provider: string): Promise<string> =>
      accessTokenOf((await sandbox.exec(['cat', `${CRED_DIR}/${user}/${provider}.use`])).output);

    /** Every user's `.use` of every provider verifies at its issuer's published JWKS; returns the kids they carry. */
    async function everyTokenVerifies(): Promise<Set<string>> {
      const kids = new Set<string>();
      for (const provider of PROVIDERS) {
        const keys = createLocalJWKSet(await jwksOf(provider));
        for (const user of USERS) {
          const token = await useToken(user, provider);
          const { payload, protectedHeader } = await jwtVerify(token, keys, { issuer: issuerOf(provider) });
          assert.equal(payload.sub, user);
          kids.add(String(protectedHeader.kid));
        }
      }
      return kids;
    }

    /** The key that signs: `active` in a key set, `single` for an issuer that has none yet. */
    const signing = (k: KeyStatus): boolean => k.state === 'active' || k.state === 'single';
    const activeKid = (keys: KeyStatus[] | undefined): string => keys?.find(signing)?.kid ?? '';

    async function runChemistryJob(user: string): Promise<string> {
      const { submit, jobOutput } = await submitAndWait(
        sandbox,
        user,
        'chemistry.sub',
        'chemistry.out',
        'chemistry.log',
      );
      assert.equal(submit.exitCode, 0, submit.output);
      return jobOutput;
    }

    test('the chemistry issuer is published with its key; its tokens work at the storage in their scopes', async () => {
      const logs = await sandbox.logs();
      assert.match(logs, /made ES256 issuer key \/var\/lib\/credmon-sandbox\/keys\/chemistry-private\.pem/);
      assert.match(await sandbox.storageLogs(), /trusting https:\/\/localhost:\d+, https:\/\/localhost:\d+\/chemistry/);
      const chemistryKids = (await jwksOf('chemistry')).keys.map((k) => k.kid);
      assert.deepEqual(chemistryKids, ['chem']);
      assert.deepEqual(
        (await jwksOf('scitokens')).keys.map((k) => k.kid),
        ['local'],
        'each issuer publishes its own keys only',
      );

      for (const user of USERS) {
        const out = await runChemistryJob(user);
        assert.match(out, /^inside 20[01]$/m, out);
        assert.match(out, /^read chem \d+$/m, out);
        assert.match(out, /^outside 403$/m, `a chemistry token is refused outside its scopes:\n${out}`);
      }
      const token = await useToken('submitter', 'chemistry');
      assert.equal(decodeProtectedHeader(token).kid, 'chem');
      const { payload } = await jwtVerify(token, createLocalJWKSet(await jwksOf('chemistry')), {
        issuer: issuerOf('chemistry'),
      });
      assert.equal(payload['scope'], 'read:/user/submitter/chemistry write:/user/submitter/chemistry');
      await assert.rejects(
        jwtVerify(token, createLocalJWKSet(await jwksOf('scitokens')), { issuer: issuerOf('chemistry') }),
        /no applicable key found/,
        'the default issuer does not publish the chemistry key',
      );
      assert.equal((await everyTokenVerifies()).size, 2);
    });

    test('the credmon SIGKILLed again and again around a switch: it switches, every token verifies', async () => {
      const rotated = await sandbox.exec(['credmon-key', 'rotate', '--provider', 'chemistry']);
      assert.equal(rotated.exitCode, 0, rotated.output);
      const kid = /new key (\S+) \(ES256\) is in the JWKS now/.exec(rotated.output)?.[1] ?? '';
      assert.match(kid, /^chem-\d{8}T\d{6}Z-[0-9a-f]{4}$/, rotated.output);
      assert.match(rotated.output, /Warning: a lead of 75 s is shorter than scitokens-cpp's 600 s key refresh/);
      const switchAt = Date.now() + LEAD_S * 1000;
      assert.deepEqual(
        (await jwksOf('chemistry')).keys.map((k) => k.kid),
        [kid, 'chem'],
      );

      // SIGKILL the credmon every 2-5 s from 10 s before the switch until 15 s after it.
      await new Promise((resolve) => setTimeout(resolve, switchAt - 10_000 - Date.now()));
      const pids = new Set<string>();
      while (Date.now() < switchAt + 15_000) {
        const pid = (await sandbox.exec(['cat', `${CRED_DIR}/pid`])).output.trim();
        if (/^\d+$/.test(pid) && !pids.has(pid)) {
          pids.add(pid);
          await sandbox.exec(['kill', '-KILL', pid]);
        }
        await new Promise((resolve) => setTimeout(resolve, 2000 + Math.random() * 3000));
      }
      console.log(`# killed ${pids.size} credmon processes around the switch`);
      assert.ok(pids.size >= 4, `only ${pids.size} credmon processes were killed`);
      await waitFor(
        async () => (await sandbox.exec(['test', '-e', `${CRED_DIR}/CREDMON_COMPLETE`])).exitCode === 0,
        60_000,
        'the restarted credmon completes a scan',
      );

      const keys = (await keyStatus()).get('chemistry');
      assert.deepEqual(keys?.map((k) => `${k.kid}:${k.state}`).sort(), [`${kid}:active`, 'chem:retiring'].sort());
      await waitFor(
        async () => decodeProtectedHeader(await useToken('submitter', 'chemistry')).kid === kid,
        (LIFETIME_S / 2 + 30) * 1000,
        `submitter's chemistry.use signed by ${kid}`,
      );
      assert.ok((await everyTokenVerifies()).has(kid));
      const out = await runChemistryJob('submitter');
      assert.match(out, /^inside 20[01]$/m, `the storage accepts the new key's token:\n${out}`);
    });

    test('credmon-key rotate SIGKILLed at random moments: every key set reads and every token verifies', async () => {
      const outcomes: string[] = [];
      for (const delayMs of [40, 100, 115, 125, 130, 135, 145, 170]) {
        const provider = outcomes.length % 2 === 0 ? 'scitokens' : 'chemistry';
        const run = await sandbox.exec([
          'timeout',
          '-s',
          'KILL',
          `${delayMs / 1000}`,
          'credmon-key',
          'rotate',
          '--now',
          '--provider',
          provider,
        ]);
        outcomes.push(`${provider}@${delayMs}ms:${run.exitCode}`);
        const status = await keyStatus();
        for (const name of PROVIDERS) {
          const keys = status.get(name) ?? [];
          assert.equal(keys.filter(signing).length, 1, `${name} after ${outcomes.join(' ')}`);
        }
      }
      console.log(`# credmon-key rotate --now runs (exit 137 = killed): ${outcomes.join(' ')}`);
      assert.ok(
        outcomes.some((o) => o.endsWith(':137')),
        `no run was killed: ${outcomes.join(' ')}`,
      );
      const status = await keyStatus();
      const active = PROVIDERS.map((p) => activeKid(status.get(p)));
      // Tell the credmon, as a finished rotate would, then let it re-sign with whatever is active now.
      await sandbox.exec(['sh', '-c', `kill -HUP "$(cat ${CRED_DIR}/pid)"`]);
      await waitFor(
        async () => {
          for (const user of USERS) {
            for (const [i, provider] of PROVIDERS.entries()) {
              if (decodeProtectedHeader(await useToken(user, provider)).kid !== active[i]) return false;
            }
          }
          return true;
        },
        (LIFETIME_S / 2 + 30) * 1000,
        `every .use signed by ${active.join(' and ')}`,
      );
      const kids = await everyTokenVerifies();
      assert.deepEqual([...kids].sort(), [...active].sort());
    });
  },
);
