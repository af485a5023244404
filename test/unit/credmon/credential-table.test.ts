import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CredentialRef } from '../../../src/credentials/index.js';
import { CredentialTable } from '../../../src/credmon/credential-table.js';
import { PROVIDER_RETRY, failedTransiently, newSchedule, succeeded } from '../../../src/credmon/schedule.js';

const local = (user: string, name = 'scitokens'): CredentialRef => ({ user, name, kind: 'local' });
const oauth = (user: string, name = 'box'): CredentialRef => ({ user, name, kind: 'oauth' });

describe('CredentialTable', () => {
  it('a changed or new user directory is read; an unchanged one only gives its due local credentials', () => {
    const table = new CredentialTable();
    assert.deepEqual(table.localJobs([{ user: 'alice', version: 'v1' }], 0), [{ user: 'alice', version: 'v1' }]);
    table.updateUser('alice', 'v1', [local('alice'), local('alice', 'other'), oauth('alice')]);
    assert.deepEqual(table.localJobs([{ user: 'alice', version: 'v1' }], 0), [
      { user: 'alice', names: ['scitokens', 'other'] },
    ]);
    const entry = table.get('alice', 'scitokens');
    assert.ok(entry);
    entry.schedule = succeeded(100);
    assert.deepEqual(table.localJobs([{ user: 'alice', version: 'v1' }], 99), [{ user: 'alice', names: ['other'] }]);
    assert.deepEqual(table.localJobs([{ user: 'alice', version: 'v2' }], 99), [{ user: 'alice', version: 'v2' }]);
  });

  it('a re-read tracks what is in the directory now: gone ones untracked, kept ones due at once', () => {
    const table = new CredentialTable();
    table.updateUser('alice', 'v1', [local('alice'), oauth('alice')]);
    const kept = table.get('alice', 'scitokens');
    assert.ok(kept);
    kept.schedule = succeeded(5000);
    table.updateUser('alice', 'v2', [local('alice')]);
    assert.equal(table.get('alice', 'box'), undefined);
    assert.equal(table.get('alice', 'scitokens'), kept, 'the same entry');
    assert.equal(kept.schedule.dueMs, 0);
  });

  it("a provider's backoff survives a directory change; a credential whose kind changed starts afresh", () => {
    const table = new CredentialTable();
    table.updateUser('alice', 'v1', [oauth('alice')]);
    const entry = table.get('alice', 'box');
    assert.ok(entry);
    const backingOff = failedTransiently(newSchedule(), '503', { nowMs: 0, random: () => 1, retry: PROVIDER_RETRY });
    entry.schedule = backingOff;
    table.updateUser('alice', 'v2', [oauth('alice')]);
    assert.equal(entry.schedule, backingOff);
    table.updateUser('alice', 'v3', [{ user: 'alice', name: 'box', kind: 'local' }]);
    assert.notEqual(table.get('alice', 'box'), entry);
    assert.deepEqual(table.get('alice', 'box')?.schedule, newSchedule());
  });

  it('held jobs are left alone: their users by scans and the fast path, their credentials when forgotten', () => {
    const table = new CredentialTable();
    table.updateUser('alice', 'v1', [local('alice')]);
    const jobs = [{ user: 'alice', names: ['scitokens'] }, { user: 'bob' }];
    table.hold(jobs);
    assert.ok(table.hasUser('bob'), 'a user being read counts as known');
    assert.equal(table.get('alice', 'scitokens')?.busy, true);
    assert.deepEqual(table.localJobs([{ user: 'alice', version: 'v2' }], 0), []);
    assert.equal(table.earliestDueMs(), undefined, 'busy credentials have no due time');
    table.forgetUsersExcept(new Set());
    assert.ok(table.hasUser('alice'), 'a user in flight is not forgotten');
    table.forgetUser('alice');
    assert.ok(table.get('alice', 'scitokens'), 'a busy credential is not forgotten');
    table.release(jobs);
    assert.equal(table.get('alice', 'scitokens')?.busy, false);
    assert.ok(!table.hasUser('bob'));
    table.forgetUser('alice');
    assert.equal(table.get('alice', 'scitokens'), undefined);
  });

  it("sends the digests it knows of a user's local tokens with the user's jobs: a changed directory, due names", () => {
    const table = new CredentialTable();
    table.updateUser('alice', 'v1', [local('alice'), local('alice', 'other'), oauth('alice')]);
    const entry = table.get('alice', 'scitokens');
    assert.ok(entry);
    entry.digest = 'digest-of-scitokens';
    const digests = new Map([['scitokens', 'digest-of-scitokens']]);
    assert.deepEqual(table.localJobs([{ user: 'alice', version: 'v2' }], 0), [
      { user: 'alice', version: 'v2', digests },
    ]);
    assert.deepEqual(table.localJobs([{ user: 'alice', version: 'v1' }], 0), [
      { user: 'alice', names: ['scitokens', 'other'], digests },
    ]);
    entry.schedule = succeeded(100);
    assert.deepEqual(
      table.localJobs([{ user: 'alice', version: 'v1' }], 0),
      [{ user: 'alice', names: ['other'] }],
      'only the named credentials’ digests; none known, none sent',
    );
    table.updateUser('alice', 'v2', [{ user: 'alice', name: 'scitokens', kind: 'oauth' }]);
    assert.equal(table.get('alice', 'scitokens')?.digest, undefined, 'a credential whose kind changed starts afresh');
  });

  it('forgets users that a scan no longer lists', () => {
    const table = new CredentialTable();
    table.updateUser('alice', 'v1', [local('alice')]);
    table.updateUser('bob', 'v1', [local('bob')]);
    table.forgetUsersExcept(new Set(['bob']));
    assert.ok(!table.hasUser('alice'));
    assert.equal(table.get('alice', 'scitokens'), undefined);
    assert.ok(table.get('bob', 'scitokens'));
  });

  it('untrack removes only the entry it is given', () => {
    const table = new CredentialTable();
    table.updateUser('alice', 'v1', [oauth('alice')]);
    const old = table.get('alice', 'box');
    assert.ok(old);
    table.updateUser('alice', 'v2', [{ user: 'alice', name: 'box', kind: 'local' }]);
    table.untrack(old);
    assert.ok(table.get('alice', 'box'), 'a refresh that ends after a re-read leaves the new entry');
    const current = table.get('alice', 'box');
    assert.ok(current);
    table.untrack(current);
    assert.equal(table.get('alice', 'box'), undefined);
  });

  it('due OAuth credentials and the earliest due time skip busy ones', () => {
    const table = new CredentialTable();
    table.updateUser('alice', 'v1', [oauth('alice'), oauth('alice', 'gitlab'), local('alice')]);
    for (const [name, dueMs] of [
      ['box', 10],
      ['gitlab', 20],
      ['scitokens', 30],
    ] as const) {
      const entry = table.get('alice', name);
      assert.ok(entry);
      entry.schedule = succeeded(dueMs);
    }
    assert.deepEqual(
      [...table.dueRemote(15)].map((e) => e.ref.name),
      ['box'],
    );
    assert.deepEqual(
      [...table.dueRemote(25)].map((e) => e.ref.name),
      ['box', 'gitlab'],
    );
    assert.equal(table.earliestDueMs(), 10);
    const box = table.get('alice', 'box');
    assert.ok(box);
    box.busy = true;
    assert.deepEqual(
      [...table.dueRemote(25)].map((e) => e.ref.name),
      ['gitlab'],
    );
    assert.equal(table.earliestDueMs(), 20);
  });
});
