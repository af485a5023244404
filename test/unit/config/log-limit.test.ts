import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogBounds, parseLogLimit } from '../../../src/config/log-limit.js';

const MIB = 1024 * 1024;

describe('parseLogLimit (MAX_<SUBSYS>_LOG, MAX_DEFAULT_LOG)', () => {
  const cases: Array<[string, { unit: 'bytes' | 'seconds'; value: number }]> = [
    ['10000000', { unit: 'bytes', value: 10_000_000 }],
    ['0', { unit: 'bytes', value: 0 }],
    [' 64 Kb ', { unit: 'bytes', value: 64 * 1024 }],
    ['10 Mb', { unit: 'bytes', value: 10 * MIB }],
    ['10MB', { unit: 'bytes', value: 10 * MIB }],
    ['10 Mib', { unit: 'bytes', value: 10 * MIB }],
    ['10 M', { unit: 'bytes', value: 10 * MIB }],
    ['2 Gb', { unit: 'bytes', value: 2 * 1024 * MIB }],
    ['1 Tb', { unit: 'bytes', value: 1024 * 1024 * MIB }],
    ['100 Bytes', { unit: 'bytes', value: 100 }],
    ['30 Sec', { unit: 'seconds', value: 30 }],
    ['10 Min', { unit: 'seconds', value: 600 }],
    ['10 MIN', { unit: 'seconds', value: 600 }],
    ['10 m', { unit: 'seconds', value: 600 }],
    ['2 Hr', { unit: 'seconds', value: 7200 }],
    ['1 Day', { unit: 'seconds', value: 86_400 }],
    ['1 Wk', { unit: 'seconds', value: 604_800 }],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${expected.value} ${expected.unit}`, () => {
      assert.deepEqual(parseLogLimit(text), expected);
    });
  }

  for (const text of ['', '   ', 'ten', '-1', '10 Xb', '1.5 Mb', '10 Mb extra']) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(parseLogLimit(text), undefined);
    });
  }
});

describe('parseLogBounds (MAX_<NAME>_LOG, MAX_DEFAULT_LOG, MAX_NUM_<NAME>_LOG, TRUNC_<NAME>_LOG_ON_OPEN)', () => {
  const bounds = (knobs: Record<string, string>): { result: ReturnType<typeof parseLogBounds>; problems: string[] } => {
    const problems: string[] = [];
    return { result: parseLogBounds((name) => knobs[name], 'CREDMON_OAUTH', problems), problems };
  };

  it('defaults to 10 MiB, one .old, no truncation, as HTCondor', () => {
    assert.deepEqual(bounds({}), {
      result: {
        limit: { unit: 'bytes', value: 10 * MIB },
        maxRotated: 1,
        truncateOnOpen: false,
        knob: 'MAX_DEFAULT_LOG',
      },
      problems: [],
    });
  });

  it('takes MAX_DEFAULT_LOG, and MAX_<NAME>_LOG over it (a time too); reads the count and truncation', () => {
    assert.deepEqual(bounds({ MAX_DEFAULT_LOG: '1 Mb' }).result.limit, { unit: 'bytes', value: MIB });
    const own = bounds({
      MAX_DEFAULT_LOG: '1 Mb',
      MAX_CREDMON_OAUTH_LOG: '1 Day',
      MAX_NUM_CREDMON_OAUTH_LOG: '5',
      TRUNC_CREDMON_OAUTH_LOG_ON_OPEN: 'True',
    });
    assert.deepEqual(own, {
      result: {
        limit: { unit: 'seconds', value: 86_400 },
        maxRotated: 5,
        truncateOnOpen: true,
        knob: 'MAX_CREDMON_OAUTH_LOG',
      },
      problems: [],
    });
    assert.equal(bounds({ MAX_CREDMON_OAUTH_LOG: '0' }).result.limit.value, 0, '0 = without bound');
  });

  it('names each bad knob and keeps the default', () => {
    const { result, problems } = bounds({
      MAX_DEFAULT_LOG: '1 Hr',
      MAX_CREDMON_OAUTH_LOG: 'big',
      MAX_NUM_CREDMON_OAUTH_LOG: '-2',
      TRUNC_CREDMON_OAUTH_LOG_ON_OPEN: 'maybe',
    });
    assert.deepEqual(result, {
      limit: { unit: 'bytes', value: 10 * MIB },
      maxRotated: 1,
      truncateOnOpen: false,
      knob: 'MAX_CREDMON_OAUTH_LOG',
    });
    assert.deepEqual(problems, [
      'MAX_DEFAULT_LOG = 1 Hr: must be a size, not a time (set MAX_CREDMON_OAUTH_LOG for a time)',
      'MAX_CREDMON_OAUTH_LOG = big: expected an integer >= 0, optionally followed by Bytes, Kb, Mb, Gb, Tb, Sec, Min, Hr, Day or Wk',
      'MAX_NUM_CREDMON_OAUTH_LOG = -2: expected a whole number >= 0 (how many rotated logs to keep)',
      'TRUNC_CREDMON_OAUTH_LOG_ON_OPEN = maybe: expected true or false',
    ]);
  });
});
