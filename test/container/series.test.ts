/**
 * The HTCondor series switch: an unknown HTCONDOR_SERIES stops the image build with a message naming the valid series,
 * before anything is installed. (That each valid series runs its own HTCondor is checked by buildImage() for every
 * container test: `condor_version` inside must match the series.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { seriesFrom } from '../helpers/image.js';
import { ROOT } from '../helpers/root.js';

function dockerBuild(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      ['build', '-f', 'docker/Dockerfile', ...args, '.'],
      // The classic builder runs the stages in order, so the series check comes first (see docker/Dockerfile).
      { cwd: ROOT, env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('HTCONDOR_SERIES', { timeout: 600_000 }, () => {
  test('an unknown series stops the build with a message that names 23 and 25, and no image is made', async () => {
    const tag = 'credmon-sandbox:series-check-99';
    const result = await dockerBuild(['--build-arg', 'HTCONDOR_SERIES=99', '-t', tag]);
    assert.notEqual(result.code, 0, result.output);
    assert.match(
      result.output,
      /HTCONDOR_SERIES=99 is not a series this image knows; valid: 23 \(Debian trixie[^)]*\), 25 \(Debian forky/,
    );
    assert.doesNotMatch(result.output, /apt-get install/, 'nothing was installed before the check');
    const inspect = await new Promise<number>((resolve) =>
      execFile('docker', ['image', 'inspect', tag], (error) => resolve(error ? 1 : 0)),
    );
    assert.equal(inspect, 1, 'no image was tagged');
  });

  test('docker compose build (BuildKit) with an unknown series stops naming the valid series and the value given', async () => {
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        'docker',
        ['compose', '-p', 'cmtest-series-check', 'build', 'sandbox'],
        {
          cwd: ROOT,
          env: { ...process.env, HTCONDOR_SERIES: '99', SANDBOX_IMAGE: 'credmon-sandbox:series-check-99' },
          timeout: 300_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, output: `${stdout}${stderr}` }),
      );
    });
    assert.notEqual(result.code, 0, result.output);
    assert.match(result.output, /valid-htcondor-series-23-or-25-given-99/);
  });

  test('the test helpers refuse an unknown SANDBOX_SERIES the same way', () => {
    assert.equal(seriesFrom(undefined), '23');
    assert.equal(seriesFrom('25'), '25');
    assert.throws(() => seriesFrom('24'), /SANDBOX_SERIES=24 is not a series the image knows; valid: 23, 25/);
  });
});
