import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyCredentials } from '../../../src/credentials/index.js';

describe('classifyCredentials', () => {
  it('a .top without .meta is local for a local provider, client for a client provider, nothing otherwise', () => {
    const files = ['scitokens.top', 'scitokens.use', 'robot.top', 'other.top', 'box.meta', 'box.top'];
    const refs = classifyCredentials('alice', files, ['scitokens'], false, ['robot']);
    const kinds = Object.fromEntries(refs.map((r) => [r.name, r.kind]));
    assert.deepEqual(kinds, { scitokens: 'local', robot: 'client', box: 'oauth' });
  });

  it('a .use alone is nothing for a client provider (the credd writes the .top), and a local provider wins a tie', () => {
    assert.deepEqual(classifyCredentials('alice', ['robot.use'], ['scitokens'], false, ['robot']), []);
    const tie = classifyCredentials('alice', ['x.top'], ['x'], false, ['x']);
    assert.deepEqual(tie, [{ user: 'alice', name: 'x', kind: 'local' }]);
  });
});
