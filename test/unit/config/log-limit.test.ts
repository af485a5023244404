import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogLimit } from '../../../src/config/log-limit.js';

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
