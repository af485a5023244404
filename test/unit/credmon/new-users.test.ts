import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FAST_PATH_MAX_USERS,
  NewUserDirectories,
  pickFastPathUsers,
  type RootDirectory,
} from '../../../src/credmon/new-users.js';

/** A root whose listing, version and watch the test controls. */
function fakeRoot(users: string[], watchable = true) {
  const root = {
    version: 'v1',
    listed: 0,
    emit: (_name: string): void => {},
    fail: (): void => {},
    closed: false,
  };
  const dir: RootDirectory = {
    rootVersion: () => root.version,
    listUserNames: () => {
      root.listed++;
      return Promise.resolve({ users: [...users], refused: [] });
    },
    watchRootEntries: (onEntry, onError) => {
      if (!watchable) return undefined;
      root.emit = onEntry;
      root.fail = onError;
      return { close: () => (root.closed = true) };
    },
    userChangedMs: () => undefined,
  };
  return { root, dir };
}

describe('new-users: the SIGHUP fast path', () => {
  it('serves unknown users with valid names only', () => {
    const known = new Set(['alice']);
    const picked = pickFastPathUsers(
      ['alice', 'bob', '..', 'a b', 'carol'],
      (u) => known.has(u),
      () => undefined,
    );
    assert.deepEqual(picked, ['bob', 'carol']);
  });

  it(`serves at most ${FAST_PATH_MAX_USERS}, the most recently changed first`, () => {
    const users = Array.from({ length: 100 }, (_, i) => `user${i}`);
    const picked = pickFastPathUsers(
      users,
      () => false,
      (u) => Number(u.slice(4)),
    );
    assert.equal(picked.length, FAST_PATH_MAX_USERS);
    assert.deepEqual(picked.slice(0, 3), ['user99', 'user98', 'user97']);
    assert.equal(picked.at(-1), `user${100 - FAST_PATH_MAX_USERS}`);
  });

  it('takes the entries the watch saw since the last SIGHUP, without listing', async () => {
    const { root, dir } = fakeRoot(['alice', 'bob']);
    const newUsers = new NewUserDirectories(dir);
    newUsers.watch();
    root.emit('carol');
    root.emit('dave');
    assert.deepEqual(await newUsers.take(), ['carol', 'dave']);
    assert.deepEqual(await newUsers.take(), []);
    assert.equal(root.listed, 0);
    newUsers.close();
    assert.ok(root.closed);
  });

  it('after a flood of entries, lists the root once, then goes back to the watch', async () => {
    const { root, dir } = fakeRoot(['alice', 'bob']);
    const newUsers = new NewUserDirectories(dir);
    newUsers.watch();
    for (let i = 0; i <= 10 * FAST_PATH_MAX_USERS; i++) root.emit(`user${i}`);
    root.version = 'v2';
    assert.deepEqual(await newUsers.take(), ['alice', 'bob']);
    assert.equal(root.listed, 1);
    root.emit('carol');
    assert.deepEqual(await newUsers.take(), ['carol']);
    assert.equal(root.listed, 1);
  });

  it('without a watch (or after it failed), lists the root when its version changed', async () => {
    for (const failing of [false, true]) {
      const { root, dir } = fakeRoot(['alice'], failing);
      const newUsers = new NewUserDirectories(dir);
      newUsers.watch();
      if (failing) root.fail();
      assert.deepEqual(await newUsers.take(), ['alice']);
      assert.deepEqual(await newUsers.take(), [], 'the root did not change');
      root.version = 'v2';
      assert.deepEqual(await newUsers.take(), ['alice']);
      assert.equal(root.listed, 2);
    }
  });
});
