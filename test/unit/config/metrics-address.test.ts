import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetricsAddress } from '../../../src/config/metrics-address.js';

const parse = (raw: string | undefined) => {
  const problems: string[] = [];
  return { address: parseMetricsAddress('CREDMON_OAUTH_METRICS_ADDRESS', raw, problems), problems };
};

describe('parseMetricsAddress', () => {
  it('is off when unset or empty', () => {
    assert.deepEqual(parse(undefined), { address: undefined, problems: [] });
    assert.deepEqual(parse('  '), { address: undefined, problems: [] });
  });

  it('takes host:port, a name, or an IPv6 address in brackets', () => {
    assert.deepEqual(parse('127.0.0.1:9464').address, { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parse('0.0.0.0:9464').address, { host: '0.0.0.0', port: 9464 });
    assert.deepEqual(parse('localhost:1').address, { host: 'localhost', port: 1 });
    assert.deepEqual(parse('[::1]:65535').address, { host: '::1', port: 65535 });
  });

  it('refuses what is not host:port, naming the knob and an example', () => {
    for (const bad of ['9464', ':9464', '127.0.0.1:0', '127.0.0.1:65536', 'host:port', '::1:9464', 'a b:1']) {
      const { address, problems } = parse(bad);
      assert.equal(address, undefined, bad);
      assert.match(problems.join(), /CREDMON_OAUTH_METRICS_ADDRESS = .*expected host:port \(such as 127\.0\.0\.1:9464/);
    }
  });
});
