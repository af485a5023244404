/**
 * The end-of-run secret check of a container test: every secret that existed in a compose project during the test
 * (harvested from where the product keeps them) is searched, in every encoding test/helpers/secret-scan.ts knows, in
 * everything a user or an admin can read afterwards: each container's output (`docker compose logs`) and every file
 * under /var/log in each container (HTCondor's daemon logs, the credmon's log, nginx's logs).
 *
 * Harvested secrets: access and refresh tokens in the credential directory (.top and .use), client secrets
 * (/etc/condor/.secrets), the issuer's private signing key and the TLS private keys, and from the demo provider's
 * state every refresh token, authorization code, access token and session id it issued during the run (its file
 * adapter keeps consumed codes and rotated refresh tokens until they expire). Tests add what lives only in the browser
 * or in condor_submit's output (login keys) as `extra`.
 */
import { dockerCli as docker, projectContainerNames } from './docker-cli.js';
import assert from 'node:assert/strict';
import { findSecretLeaks, secretEncodings } from './secret-scan.js';

const CRED_DIR = '/var/lib/condor/oauth_credentials';
/** oidc-provider models whose ids are bearer secrets (a grant id or an interaction uid is not one: it is in URLs). */
const SECRET_MODELS = ['RefreshToken', 'AuthorizationCode', 'AccessToken', 'Session', 'ClientCredentials'];

/** Runs a shell script in a container if it is running; '' otherwise (a stopped container keeps only its output). */
async function inContainer(container: string, script: string): Promise<string> {
  const running = (await docker(['inspect', '-f', '{{.State.Running}}', container])).trim() === 'true';
  return running ? docker(['exec', container, 'sh', '-c', script]) : '';
}

/** Every string value of a JSON document (one level of objects and arrays is enough for our files). */
function stringsOf(value: unknown, keys: readonly string[]): string[] {
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && keys.includes(k)) out.push(v);
    else if (typeof v === 'object') out.push(...stringsOf(v, keys));
  }
  return out;
}

function jsonDocuments(text: string): unknown[] {
  return text
    .split('\u0000')
    .map((chunk) => chunk.trim())
    .filter(Boolean)
    .flatMap((chunk) => {
      try {
        return [JSON.parse(chunk) as unknown];
      } catch {
        return [];
      }
    });
}

/** The base64 body of each PEM private key in `text`, as one string (what a leaked key would show). */
function pemBodies(text: string): string[] {
  return [...text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/g)].flatMap((m) =>
    (m[1] ?? '').split(/\s+/).filter((line) => line.length >= 32),
  );
}

/** Every secret the project's containers hold now, plus `extra`. */
export async function harvestSecrets(projectName: string, extra: readonly string[] = []): Promise<string[]> {
  const secrets = new Set(extra.filter((s) => s.length >= 8));
  for (const container of await projectContainerNames(projectName)) {
    const credentialFiles = await inContainer(
      container,
      `[ -d ${CRED_DIR} ] && find ${CRED_DIR} -type f \\( -name '*.top' -o -name '*.use' \\) -exec sh -c 'cat "$1"; printf "\\0"' _ {} \\; || true`,
    );
    for (const doc of jsonDocuments(credentialFiles)) {
      for (const s of stringsOf(doc, ['access_token', 'refresh_token', 'id_token'])) secrets.add(s);
    }
    const demoState = await inContainer(
      container,
      `for m in ${SECRET_MODELS.join(' ')}; do d=/var/lib/credmon-sandbox/demo/state/$m; [ -d $d ] && for f in $d/*.json; do ` +
        `[ -f "$f" ] && cat "$f" && printf "\\0"; done; done; true`,
    );
    for (const doc of jsonDocuments(demoState)) for (const s of stringsOf(doc, ['jti'])) secrets.add(s);
    const clientSecrets = await inContainer(
      container,
      `for f in /etc/condor/.secrets/*; do [ -f "$f" ] && cat "$f" && printf "\\0"; done; true`,
    );
    for (const s of clientSecrets.split('\u0000').map((x) => x.trim())) if (s.length >= 8) secrets.add(s);
    const keys = await inContainer(
      container,
      'cat /var/lib/credmon-sandbox/keys/*private* /var/lib/credmon-sandbox/tls/*.key 2>/dev/null; true',
    );
    for (const s of pemBodies(keys)) secrets.add(s);
    // The pool signing key (HTCondor's password file) and the IDTOKENs the nodes signed with it.
    const pool = await inContainer(
      container,
      'for f in /var/lib/credmon-sandbox/pool/POOL /etc/condor/tokens.d/*; do [ -f "$f" ] && base64 -w0 "$f" && printf "\\0" && cat "$f" && printf "\\0"; done; true',
    );
    for (const s of pool.split('\u0000').map((x) => x.trim())) if (s.length >= 16) secrets.add(s);
  }
  return [...secrets];
}

/** Everything a user or an admin can read: each container's output and every file under /var/log in it. */
export async function collectOutputs(projectName: string): Promise<Map<string, string>> {
  const outputs = new Map<string, string>();
  for (const container of await projectContainerNames(projectName)) {
    outputs.set(`docker logs ${container}`, await docker(['logs', container]));
    // One output per file: `tail` heads each with "==> path <==" (a file's own text cannot start a line with that).
    const files = await inContainer(
      container,
      'find /var/log -type f -size -64M -exec tail -v -n +1 -- {} + 2>/dev/null; true',
    );
    for (const part of files.split(/^==> /m).filter(Boolean)) {
      const end = part.indexOf(' <==');
      outputs.set(`${container}:${part.slice(0, end)}`, part.slice(end + 4));
    }
  }
  return outputs;
}

/**
 * Asserts that no secret of the project appears in any of its outputs; returns what was checked, for the test's
 * own sanity assertions (a check that found no secrets, or no log, would prove nothing).
 */
export interface OutputCheckOptions {
  /**
   * Login keys (from the `/key/<key>` URLs condor_submit printed). HTCondor 23.9's credd logs each login URL it
   * hands out at D_ALWAYS, which no configuration turns off; the sandbox sends that log where only condor and root
   * can read it (CREDD_LOG in /var/log/condor/private, 0700). Login keys found there, and only there, are allowed.
   */
  readonly loginKeys?: readonly string[];
}

/** The credd's log, readable by condor and root only (docker/condor/50-credmon-sandbox.conf). */
export const PRIVATE_CREDD_LOG = '/var/log/condor/private/CredLog';

export async function assertNoSecretInOutputs(
  projectName: string,
  extra: readonly string[] = [],
  options: OutputCheckOptions = {},
): Promise<{ secrets: number; encodings: number; outputs: number; bytes: number }> {
  const loginKeys = new Set(options.loginKeys ?? []);
  const secrets = await harvestSecrets(projectName, [...extra, ...loginKeys]);
  const outputs = await collectOutputs(projectName);
  const labels = [...outputs.keys()];
  const texts = [...outputs.values()];
  const allowed = (secret: string, label: string): boolean =>
    loginKeys.has(secret) && label.endsWith(`:${PRIVATE_CREDD_LOG}`);
  const leaks = findSecretLeaks(secrets, texts)
    .filter((l) => !allowed(secrets[l.secretIndex] ?? '', labels[l.where] ?? ''))
    .map((l) => `secret #${l.secretIndex} ${l.encoding} in ${labels[l.where] ?? '?'}: …${l.context}…`);
  assert.deepEqual(leaks, [], `secrets of this run leak into outputs (${leaks.length})`);
  return {
    secrets: secrets.length,
    encodings: secrets.reduce((n, s) => n + secretEncodings(s).length, 0),
    outputs: texts.length,
    bytes: texts.reduce((n, t) => n + t.length, 0),
  };
}
