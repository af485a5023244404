import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialTable } from '../../../src/credmon/credential-table.js';
import { pickNewUsers } from '../../../src/credmon/new-users.js';
import { newSchedule, succeeded } from '../../../src/credmon/schedule.js';

const local = (user: string, name = 'scitokens') => ({ user, name, kind: 'local' as const });
const oauth = (user: string, name = 'box') => ({ user, name, kind: 'oauth' as const });

describe('CredentialTable', () => {
  it('keeps a schedule across reads of an unchanged kind, and starts over when the kind changes', () => {
    const t = new CredentialTable();
    t.upsert(local('alice'), () => succeeded(500));
    assert.equal(t.upsert(local('alice'), (e) => e?.schedule ?? newSchedule()).schedule.dueMs, 500);
    assert.equal(t.upsert(oauth('alice', 'scitokens'), (e) => e?.schedule ?? newSchedule()).schedule.dueMs, 0);
  });

  it('due work: local names by user, OAuth entries, the earliest due time; busy entries wait', () => {
    const t = new CredentialTable();
    t.upsert(local('alice'), () => succeeded(100));
    t.upsert(local('bob'), () => succeeded(900));
    t.upsert(oauth('alice'), () => succeeded(50));
    assert.deepEqual([...t.dueLocalNamesByUser(200)], [['alice', ['scitokens']]]);
    assert.deepEqual(
      [...t.dueOAuth(200)].map((e) => e.ref.user),
      ['alice'],
    );
    assert.equal(t.earliestDueMs(), 50);
    t.hold([{ user: 'alice', names: ['scitokens'] }], true);
    assert.ok(t.isInFlight('alice'));
    assert.deepEqual([...t.dueLocalNamesByUser(200)], []);
    t.hold([{ user: 'alice', names: ['scitokens'] }], false);
    assert.ok(!t.isInFlight('alice'));
  });

  it('forgets a gone user, but not a credential that work in flight holds; retainOnly drops removed files', () => {
    const t = new CredentialTable();
    t.setUserVersion('alice', 'v1');
    t.upsert(local('alice'), () => newSchedule());
    const refresh = t.upsert(oauth('alice'), () => newSchedule());
    refresh.busy = true;
    t.forgetUser('alice');
    assert.ok(!t.isKnown('alice'));
    assert.equal(t.get('alice', 'scitokens'), undefined);
    assert.equal(t.get('alice', 'box'), refresh);
    t.retainOnly('alice', new Set());
    assert.equal(t.get('alice', 'box'), undefined);
  });

  it('untrackEntry leaves a newer entry of the same name alone (a refresh ending after a new login)', () => {
    const t = new CredentialTable();
    const old = t.upsert(oauth('alice'), () => newSchedule());
    t.upsert(local('alice', 'box'), () => newSchedule());
    t.untrackEntry(old);
    assert.equal(t.get('alice', 'box')?.ref.kind, 'local');
  });
});

describe('pickNewUsers (the SIGHUP fast path)', () => {
  it('serves new, safe names; of too many, the most recently changed first', () => {
    const known = new Set(['old']);
    const changed: Record<string, number> = { a: 1, b: 3, c: 2 };
    assert.deepEqual(
      pickNewUsers(
        ['old', 'a', '..', '.hidden', 'b'],
        (u) => known.has(u),
        () => 0,
      ),
      ['a', 'b'],
    );
    assert.deepEqual(
      pickNewUsers(
        ['a', 'b', 'c'],
        () => false,
        (u) => changed[u],
        2,
      ),
      ['b', 'c'],
    );
  });
});
