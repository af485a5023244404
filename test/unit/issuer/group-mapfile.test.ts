import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupsFor } from '../../../src/issuer/group-mapfile.js';

const MAPFILE = [
  '# groups for the local issuer',
  '',
  '* alice physics,cms',
  'GSI alice other',
  '* bob',
  '* carol  atlas , lz   dune',
  '* alice second-line-ignored',
  '\t* dave\tg1,,g2,',
].join('\n');

describe('groupsFor', () => {
  it('returns the groups of the first line that names the user', () => {
    assert.deepEqual(groupsFor(MAPFILE, 'alice'), ['physics', 'cms']);
  });

  it('skips lines whose first field is not "*" and lines with fewer than three fields', () => {
    assert.deepEqual(groupsFor(MAPFILE, 'bob'), []);
    assert.deepEqual(groupsFor('GSI alice other\n', 'alice'), []);
  });

  it('joins extra whitespace-separated fields and drops empty group names', () => {
    assert.deepEqual(groupsFor(MAPFILE, 'carol'), ['atlas', 'lz', 'dune']);
    assert.deepEqual(groupsFor(MAPFILE, 'dave'), ['g1', 'g2']);
  });

  it('matches user names exactly', () => {
    assert.deepEqual(groupsFor(MAPFILE, 'Alice'), []);
    assert.deepEqual(groupsFor(MAPFILE, 'ali'), []);
    assert.deepEqual(groupsFor('', 'alice'), []);
  });
});
