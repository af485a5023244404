import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTemplate } from '../../../src/config/format-template.js';

describe('formatTemplate', () => {
  it('replaces every {username}', () => {
    assert.equal(
      formatTemplate('read:/user/{username} write:/user/{username}', { username: 'alice' }),
      'read:/user/alice write:/user/alice',
    );
  });

  it('turns {{ and }} into literal braces, as Python str.format does', () => {
    assert.equal(formatTemplate('{{literal}} {username}}}', { username: 'bob' }), '{literal} bob}');
  });

  it('leaves a template without fields unchanged', () => {
    assert.equal(formatTemplate('compute.read storage.read:/', { username: 'x' }), 'compute.read storage.read:/');
  });

  it('throws RangeError naming an unknown field', () => {
    assert.throws(
      () => formatTemplate('read:/user/{user}', { username: 'alice' }),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, /\{user\}/);
        assert.match(error.message, /\{username\}/);
        return true;
      },
    );
  });

  it('throws on an empty positional field and on unbalanced braces', () => {
    assert.throws(() => formatTemplate('read:/{}', { username: 'a' }), RangeError);
    assert.throws(() => formatTemplate('read:/{username', { username: 'a' }), RangeError);
    assert.throws(() => formatTemplate('read:/}', { username: 'a' }), RangeError);
  });
});
