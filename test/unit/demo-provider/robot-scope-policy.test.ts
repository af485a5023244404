import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grantRobotScopes, isRobotScope } from '../../../src/demo-provider/robot-scope-policy.js';

describe('robot scope policy', () => {
  it('grants the user scope, WLCG storage scopes below /user/<name> and wlcg', () => {
    for (const word of [
      'condor.user:alice',
      'condor.user:a%40b.example',
      'storage.read:/user/alice',
      'storage.create:/user/alice',
      'storage.modify:/user/alice/sub/dir',
      'wlcg',
    ]) {
      assert.ok(isRobotScope(word), word);
    }
  });

  it('refuses everything else: the root, /public, other paths, traversal, SciTokens scopes, odd users', () => {
    for (const word of [
      'storage.read:/',
      'storage.read:/user',
      'storage.read:/user/',
      'storage.read:/user/alice/',
      'storage.read:/userx/alice',
      'storage.create:/public',
      'storage.modify:/user/../etc',
      'storage.modify:/user/alice/./x',
      'storage.stage:/user/alice',
      'read:/user/alice',
      'write:/user/alice',
      'condor.user:',
      'condor.user:a/b',
      'condor.user:a b',
      'wlcg.groups',
      'openid',
      `condor.user:${'a'.repeat(257)}`,
    ]) {
      assert.ok(!isRobotScope(word), word);
    }
  });

  it('keeps the order asked, each word once, and reports what it dropped (cut for a log line)', () => {
    const long = `x${'y'.repeat(100)}`;
    const decision = grantRobotScopes(`wlcg  condor.user:bob wlcg read:/public ${long} storage.read:/user/bob`);
    assert.deepEqual(decision.granted, ['wlcg', 'condor.user:bob', 'storage.read:/user/bob']);
    assert.deepEqual(decision.dropped, ['read:/public', `${long.slice(0, 80)}…`]);
    assert.deepEqual(grantRobotScopes(undefined), { granted: [], dropped: [] });
  });
});
