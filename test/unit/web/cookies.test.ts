import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SESSION_COOKIE, readCookie, sessionCookie } from '../../../src/web/login/cookies.js';

describe('readCookie', () => {
  it('finds the named cookie among others, ignoring spaces', () => {
    assert.equal(readCookie('a=1; credmon_session=abc_DEF-123; b=2', SESSION_COOKIE), 'abc_DEF-123');
    assert.equal(readCookie('credmon_session=xyz', SESSION_COOKIE), 'xyz');
    assert.equal(readCookie('  credmon_session = xyz ;', SESSION_COOKIE), 'xyz');
  });

  it('returns undefined when the header or the cookie is missing', () => {
    assert.equal(readCookie(undefined, SESSION_COOKIE), undefined);
    assert.equal(readCookie('', SESSION_COOKIE), undefined);
    assert.equal(readCookie('other=1; flag', SESSION_COOKIE), undefined);
  });

  it('does not match a cookie whose name only contains ours', () => {
    assert.equal(readCookie('xcredmon_session=evil; credmon_session_old=evil', SESSION_COOKIE), undefined);
  });

  it('refuses values that are not our base64url tokens', () => {
    assert.equal(readCookie('credmon_session=', SESSION_COOKIE), undefined);
    assert.equal(readCookie('credmon_session="abc"', SESSION_COOKIE), undefined);
    assert.equal(readCookie('credmon_session=a/b', SESSION_COOKIE), undefined);
    assert.equal(readCookie('credmon_session=a=b', SESSION_COOKIE), undefined);
    assert.equal(readCookie(`credmon_session=${'a'.repeat(129)}`, SESSION_COOKIE), undefined);
    assert.equal(readCookie(`credmon_session=${'a'.repeat(128)}`, SESSION_COOKIE), 'a'.repeat(128));
  });

  it('uses the first occurrence of the cookie', () => {
    assert.equal(readCookie('credmon_session=first; credmon_session=second', SESSION_COOKIE), 'first');
  });
});

describe('sessionCookie', () => {
  it('is HttpOnly, Secure, SameSite=Lax, for the whole site, with a Max-Age', () => {
    const c = sessionCookie('tok', 3600);
    assert.equal(c, 'credmon_session=tok; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=3600');
  });
});
