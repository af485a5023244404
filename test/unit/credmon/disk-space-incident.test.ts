import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiskSpaceIncident } from '../../../src/credmon/disk-space-incident.js';

const DIR = '/var/lib/condor/oauth_credentials';
const FULL = `Cannot write to the credential directory ${DIR}: no space left on its file system.`;
const AGAIN = `Writing to the credential directory ${DIR} works again`;

describe('DiskSpaceIncident', () => {
  it('one line when writes start failing for lack of space, none for the next failures', () => {
    const incident = new DiskSpaceIncident(DIR);
    const first = incident.observe('alice/scitokens', 'no-space', 1_000);
    assert.equal(first?.level, 'error');
    assert.ok(first?.message.startsWith(FULL), first?.message);
    for (const user of ['alice', 'bob', 'carol', 'alice', 'bob']) {
      assert.equal(incident.observe(`${user}/scitokens`, 'no-space', 2_000), undefined);
    }
    assert.equal(incident.isOpen, true);
  });

  it('one line when every credential that failed has written again, with the count and the duration', () => {
    const incident = new DiskSpaceIncident(DIR);
    incident.observe('alice/scitokens', 'no-space', 1_000);
    incident.observe('bob/scitokens', 'no-space', 2_000);
    incident.observe('bob/scitokens', 'no-space', 3_000);
    assert.equal(incident.observe('alice/scitokens', 'done', 4_000), undefined, 'bob still waits');
    assert.deepEqual(incident.observe('bob/scitokens', 'done', 61_000), {
      level: 'info',
      fields: { failedWrites: 3, durationS: 60 },
      message: AGAIN,
    });
    assert.equal(incident.isOpen, false);
    assert.equal(incident.observe('bob/scitokens', 'done', 62_000), undefined, 'said once');
  });

  it('a small file written while a big one still fails does not end the incident (no flapping)', () => {
    const incident = new DiskSpaceIncident(DIR);
    incident.observe('dave/mytokens', 'no-space', 0);
    for (let i = 0; i < 5; i++) {
      assert.equal(incident.observe(`user${i}/scitokens`, 'done', i), undefined);
      assert.equal(incident.observe('dave/mytokens', 'no-space', i), undefined);
    }
    assert.equal(incident.isOpen, true);
  });

  it('a waiting credential that no longer needs a write (gone, rejected) stops holding the incident open', () => {
    const incident = new DiskSpaceIncident(DIR);
    incident.observe('alice/scitokens', 'no-space', 0);
    incident.observe('bob/scitokens', 'no-space', 0);
    assert.equal(incident.observe('bob/scitokens', 'not-needed', 1), undefined, 'no write happened: nothing said');
    assert.equal(incident.isOpen, true);
    assert.equal(incident.observe('alice/scitokens', 'done', 2)?.message, AGAIN);
  });

  it('after all waiting credentials left without a write, the next successful write closes the incident', () => {
    const incident = new DiskSpaceIncident(DIR);
    incident.observe('alice/scitokens', 'no-space', 0);
    assert.equal(incident.observe('alice/scitokens', 'not-needed', 1), undefined);
    assert.equal(incident.observe('bob/scitokens', 'done', 2)?.message, AGAIN);
  });

  it('writes and other results outside an incident say nothing; a second incident is reported again', () => {
    const incident = new DiskSpaceIncident(DIR);
    assert.equal(incident.observe('alice/scitokens', 'done', 0), undefined);
    assert.equal(incident.observe('alice/scitokens', 'not-needed', 0), undefined);
    assert.ok(incident.observe('alice/scitokens', 'no-space', 1)?.message.startsWith(FULL));
    assert.equal(incident.observe('alice/scitokens', 'done', 2)?.message, AGAIN);
    assert.ok(incident.observe('alice/scitokens', 'no-space', 3)?.message.startsWith(FULL));
  });

  it('names the directory, never a file or token', () => {
    const line = new DiskSpaceIncident(DIR).observe('alice/scitokens', 'no-space', 0);
    assert.doesNotMatch(line?.message ?? '', /alice|scitokens/);
  });
});
