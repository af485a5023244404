/**
 * applyJobResult keeps the digest of the token a local outcome wrote or found current in the credential's table
 * entry (so the next job for the user sends it, credential-table.ts), and forgets it after any other outcome.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CredentialRef } from '../../../src/credentials/index.js';
import { CredentialTable } from '../../../src/credmon/credential-table.js';
import { applyJobResult, type JobResultTarget } from '../../../src/credmon/job-results.js';
import type { LocalJobResult, LocalOutcome } from '../../../src/credmon/local-renewal.js';
import { createMemoryLogger } from '../../../src/log/index.js';
import { ReportOnce } from '../../../src/shared/report-once.js';

const NOW = 1_000_000;
const LIFE = { writtenMs: NOW, expiresMs: NOW + 1_200_000 };
const REF: CredentialRef = { user: 'alice', name: 'scitokens', kind: 'local' };

function target(): JobResultTarget {
  return {
    table: new CredentialTable(),
    log: createMemoryLogger().logger,
    reported: new ReportOnce(),
    now: () => NOW,
    random: () => 0,
    apply: (entry, step) => {
      if (step.schedule) entry.schedule = step.schedule;
    },
  };
}

/** A job result that read alice's directory (version `version`) and renewed her scitokens with `outcome`. */
function readResult(version: string, outcome: LocalOutcome): LocalJobResult {
  const listing = { exists: true, version, credentials: [REF], others: [], removedTempFiles: 0 };
  return { user: 'alice', listing, local: [{ name: 'scitokens', outcome }] };
}

function namedResult(outcome: LocalOutcome): LocalJobResult {
  return { user: 'alice', local: [{ name: 'scitokens', outcome }] };
}

describe('applyJobResult: the digest of a local token', () => {
  it("keeps an 'issued' token's digest and sends it with the next jobs for the user", () => {
    const t = target();
    applyJobResult(t, readResult('v1', { kind: 'issued', dueMs: NOW + 600_000, life: LIFE, digest: 'D1' }), true);
    assert.equal(t.table.get('alice', 'scitokens')?.digest, 'D1');
    const digests = new Map([['scitokens', 'D1']]);
    assert.deepEqual(t.table.localJobs([{ user: 'alice', version: 'v2' }], NOW), [
      { user: 'alice', version: 'v2', digests },
    ]);
    assert.deepEqual(t.table.localJobs([{ user: 'alice', version: 'v1' }], NOW + 600_000), [
      { user: 'alice', names: ['scitokens'], digests },
    ]);
  });

  it("a 'fresh' token's digest replaces the one kept; 'failed' and 'invalid' forget it", () => {
    const t = target();
    applyJobResult(t, readResult('v1', { kind: 'issued', dueMs: NOW, life: LIFE, digest: 'D1' }), true);
    applyJobResult(t, namedResult({ kind: 'fresh', dueMs: NOW, life: LIFE, digest: 'D2' }), true);
    assert.equal(t.table.get('alice', 'scitokens')?.digest, 'D2');
    applyJobResult(t, namedResult({ kind: 'failed', problem: 'no key' }), true);
    assert.equal(t.table.get('alice', 'scitokens')?.digest, undefined);
    assert.deepEqual(t.table.localJobs([{ user: 'alice', version: 'v2' }], NOW), [{ user: 'alice', version: 'v2' }]);
    applyJobResult(t, readResult('v2', { kind: 'fresh', dueMs: NOW, life: LIFE, digest: 'D3' }), true);
    assert.equal(t.table.get('alice', 'scitokens')?.digest, 'D3');
    applyJobResult(t, namedResult({ kind: 'invalid', problem: 'bad .top' }), true);
    assert.equal(t.table.get('alice', 'scitokens')?.digest, undefined);
  });

  it('the empty token of a refused user keeps no digest', () => {
    const t = target();
    applyJobResult(t, readResult('v1', { kind: 'issued', dueMs: NOW, life: LIFE, digest: 'D1' }), true);
    applyJobResult(t, namedResult({ kind: 'issued', dueMs: NOW, life: LIFE, digest: undefined }), true);
    assert.equal(t.table.get('alice', 'scitokens')?.digest, undefined);
  });
});
