import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginStore } from '../../../src/web/index.js';
import { OAuthStateMismatch } from '../../../src/shared/errors.js';

const KEY = 'a'.repeat(64);

function requested(
  names: string[],
): Map<string, { provider: string; handle: string; scopes: string; audience: string }> {
  return new Map(
    names.map((n) => [n, { provider: n.split('_')[0] ?? n, handle: n.split('_')[1] ?? '', scopes: '', audience: '' }]),
  );
}

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function refused(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof OAuthStateMismatch, String(error));
    assert.match(error.message, /cannot be accepted/);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('LoginStore sessions', () => {
  it('creates sessions with distinct unguessable ids and finds them again', () => {
    const store = new LoginStore();
    const a = store.createSession(KEY, 'alice', requested(['scitokens', 'mytokens_read']));
    const b = store.createSession(KEY, 'alice', requested(['scitokens']));
    assert.notEqual(a.id, b.id);
    assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(store.getSession(a.id), a);
    assert.deepEqual(a.names, ['scitokens', 'mytokens_read']);
    assert.equal(a.done.size, 0);
    assert.equal(store.getSession(undefined), undefined);
    assert.equal(store.getSession('nope'), undefined);
  });

  it('forgets a session after its lifetime', () => {
    const c = clock();
    const store = new LoginStore({ now: c.now, sessionTtlMs: 1000 });
    const s = store.createSession(KEY, 'alice', requested(['scitokens']));
    c.advance(1000);
    assert.equal(store.getSession(s.id), s);
    c.advance(1);
    assert.equal(store.getSession(s.id), undefined);
  });

  it('evicts the oldest sessions beyond maxEntries', () => {
    const store = new LoginStore({ maxEntries: 2 });
    const a = store.createSession(KEY, 'alice', requested(['x']));
    const b = store.createSession(KEY, 'alice', requested(['x']));
    const c = store.createSession(KEY, 'alice', requested(['x']));
    assert.equal(store.getSession(a.id), undefined);
    assert.equal(store.getSession(b.id), b);
    assert.equal(store.getSession(c.id), c);
  });
});

describe('LoginStore states', () => {
  it('hands out a fresh state per login and gives the pending login back once', () => {
    const store = new LoginStore();
    const s = store.createSession(KEY, 'alice', requested(['scitokens']));
    const one = store.startLogin(s, 'scitokens', 'scitokens', 'verifier-1');
    const two = store.startLogin(s, 'scitokens', 'scitokens', 'verifier-2');
    assert.notEqual(one.state, two.state);
    const got = store.consumeState(one.state, s.id, 'scitokens');
    assert.equal(got.codeVerifier, 'verifier-1');
    assert.equal(got.key, KEY);
    assert.equal(got.name, 'scitokens');
    assert.throws(() => store.consumeState(one.state, s.id, 'scitokens'), refused(/already used/));
    assert.equal(store.consumeState(two.state, s.id, 'scitokens').codeVerifier, 'verifier-2');
  });

  it('refuses an unknown or missing state', () => {
    const store = new LoginStore();
    const s = store.createSession(KEY, 'alice', requested(['scitokens']));
    assert.throws(() => store.consumeState('forged', s.id, 'scitokens'), refused(/not started here/));
    assert.throws(() => store.consumeState(undefined, s.id, 'scitokens'), refused(/not started here/));
  });

  it('refuses a state from another session, and burns it', () => {
    const store = new LoginStore();
    const a = store.createSession(KEY, 'alice', requested(['scitokens']));
    const b = store.createSession(KEY, 'alice', requested(['scitokens']));
    const login = store.startLogin(a, 'scitokens', 'scitokens', 'v');
    assert.throws(() => store.consumeState(login.state, b.id, 'scitokens'), refused(/another browser/));
    assert.throws(() => store.consumeState(login.state, undefined, 'scitokens'), refused(/already used/));
  });

  it('refuses a state on the wrong provider', () => {
    const store = new LoginStore();
    const s = store.createSession(KEY, 'alice', requested(['scitokens', 'mytokens_read']));
    const login = store.startLogin(s, 'mytokens_read', 'mytokens', 'v');
    assert.throws(() => store.consumeState(login.state, s.id, 'scitokens'), refused(/belongs to provider mytokens/));
  });

  it('refuses a state that took too long', () => {
    const c = clock();
    const store = new LoginStore({ now: c.now, pendingTtlMs: 500 });
    const s = store.createSession(KEY, 'alice', requested(['scitokens']));
    const login = store.startLogin(s, 'scitokens', 'scitokens', 'v');
    c.advance(501);
    assert.throws(() => store.consumeState(login.state, s.id, 'scitokens'), refused(/too long/));
  });
});

describe('LoginStore bounds: a flood costs the flooder', () => {
  const OTHER_KEY = 'b'.repeat(64);

  it("opening one link 10,001 times keeps another user's session and pending login", () => {
    const store = new LoginStore();
    const bob = store.createSession(OTHER_KEY, 'bob', requested(['scitokens']));
    const login = store.startLogin(bob, 'scitokens', 'scitokens', 'v-bob');
    for (let i = 0; i < 10_001; i++) store.createSession(KEY, 'mallory', requested(['scitokens']));
    assert.equal(store.getSession(bob.id), bob);
    assert.equal(store.consumeState(login.state, bob.id, 'scitokens').codeVerifier, 'v-bob');
    assert.ok(
      store.size.sessions <= 1 + 16,
      `the flooded key holds at most 16 sessions, store has ${store.size.sessions}`,
    );
  });

  it('keeps a session that started a login when its own link is flooded (idle sessions go first)', () => {
    const store = new LoginStore({ maxSessionsPerKey: 4 });
    const user = store.createSession(KEY, 'alice', requested(['scitokens']));
    const login = store.startLogin(user, 'scitokens', 'scitokens', 'v');
    for (let i = 0; i < 1000; i++) store.createSession(KEY, 'alice', requested(['scitokens']));
    assert.equal(store.getSession(user.id), user);
    assert.equal(store.consumeState(login.state, user.id, 'scitokens').codeVerifier, 'v');
  });

  it("clicking Log in 1,000 times in one browser evicts only that browser's own states", () => {
    const store = new LoginStore({ maxPendingPerSession: 8 });
    const alice = store.createSession(KEY, 'alice', requested(['scitokens']));
    const mallory = store.createSession(OTHER_KEY, 'mallory', requested(['scitokens']));
    const kept = store.startLogin(alice, 'scitokens', 'scitokens', 'v-alice');
    const states = Array.from({ length: 1000 }, () => store.startLogin(mallory, 'scitokens', 'scitokens', 'v').state);
    assert.equal(store.size.pending, 1 + 8);
    assert.equal(store.consumeState(kept.state, alice.id, 'scitokens').codeVerifier, 'v-alice');
    assert.throws(() => store.consumeState(states[0], mallory.id, 'scitokens'), refused(/not started here/));
    assert.equal(store.consumeState(states[999], mallory.id, 'scitokens').codeVerifier, 'v');
  });

  it('caps sessions per local user across key files, and in all by taking from the largest user', () => {
    const store = new LoginStore({ maxSessionsPerUser: 3, maxEntries: 5 });
    const bob = store.createSession(OTHER_KEY, 'bob', requested(['x']));
    const carol = store.createSession(OTHER_KEY.replace(/^b/, 'c'), 'carol', requested(['x']));
    const ids = Array.from(
      { length: 50 },
      (_, i) => store.createSession(i.toString(16).padStart(64, '0'), 'mallory', requested(['x'])).id,
    );
    assert.equal(store.getSession(bob.id), bob);
    assert.equal(store.getSession(carol.id), carol);
    assert.equal(ids.filter((id) => store.getSession(id) !== undefined).length, 3);
    assert.equal(store.size.sessions, 5);
  });

  it('expires old sessions and states, so memory goes back down', () => {
    const c = clock();
    const store = new LoginStore({ now: c.now, sessionTtlMs: 1000, pendingTtlMs: 100 });
    for (let i = 0; i < 100; i++) {
      const s = store.createSession(i.toString(16).padStart(64, '0'), `u${i}`, requested(['x']));
      store.startLogin(s, 'x', 'x', 'v');
    }
    assert.deepEqual(store.size, { sessions: 100, pending: 100 });
    c.advance(101);
    store.createSession(KEY, 'alice', requested(['x']));
    assert.deepEqual(store.size, { sessions: 101, pending: 0 });
    c.advance(1000);
    store.createSession(KEY, 'alice', requested(['x']));
    assert.deepEqual(store.size, { sessions: 2, pending: 0 });
  });
});
