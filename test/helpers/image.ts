/**
 * The sandbox image the container tests run: which HTCondor series ($SANDBOX_SERIES), which tag ($SANDBOX_TEST_IMAGE),
 * and building it from docker/Dockerfile with testcontainers (once per test process).
 */
import './no-ryuk.js';
import { readFileSync, readdirSync } from 'node:fs';
import { GenericContainer } from 'testcontainers';
import { dockerOutput } from './docker-cli.js';
import { ROOT } from './root.js';

/** The HTCondor series the image is built for (docker/Dockerfile's HTCONDOR_SERIES): 23.9 on trixie, 25.x on forky. */
export const SERIES_VERSIONS = { '23': '23.9', '25': '25.' } as const;
export type Series = keyof typeof SERIES_VERSIONS;

/** $SANDBOX_SERIES (default 23); anything else is an error that names the valid series. */
export function seriesFrom(value: string | undefined): Series {
  const series = value === undefined || value === '' ? '23' : value;
  if (!Object.hasOwn(SERIES_VERSIONS, series)) {
    const valid = Object.keys(SERIES_VERSIONS).join(', ');
    throw new Error(`SANDBOX_SERIES=${series} is not a series the image knows; valid: ${valid}`);
  }
  return series as Series;
}

export const SERIES: Series = seriesFrom(process.env['SANDBOX_SERIES']);

/** The image tag for `series`: $SANDBOX_TEST_IMAGE (default credmon-sandbox:test), with `-<series>` unless 23. */
export function imageFor(series: Series, base = process.env['SANDBOX_TEST_IMAGE'] ?? 'credmon-sandbox:test'): string {
  return series === '23' ? base : `${base}-${series}`;
}

export const IMAGE = imageFor(SERIES);

/**
 * The extra CA certificates the image build should trust (corporate HTTPS proxies): $EXTRA_CA_CERTS, or else the
 * host's own additions in /usr/local/share/ca-certificates (Debian's place for them).
 */
export function extraCaCerts(): string {
  if (process.env['EXTRA_CA_CERTS']) return process.env['EXTRA_CA_CERTS'];
  try {
    const dir = '/usr/local/share/ca-certificates';
    return readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.crt'))
      .map((f) => readFileSync(`${dir}/${f}`, 'utf8'))
      .join('\n');
  } catch {
    return '';
  }
}

let built: Promise<void> | undefined;

/**
 * Builds the image from docker/Dockerfile for $SANDBOX_SERIES once per test process (Docker's layer cache makes
 * rebuilds quick), and checks that the image runs that series' HTCondor, so a test never passes on the wrong one.
 */
export function buildImage(): Promise<void> {
  built ??= (async () => {
    const started = Date.now();
    await GenericContainer.fromDockerfile(ROOT, 'docker/Dockerfile')
      .withBuildArgs({ HTCONDOR_SERIES: SERIES, EXTRA_CA_CERTS: extraCaCerts() })
      .withCache(true)
      .build(IMAGE, { deleteOnExit: false });
    const version = await dockerOutput(['run', '--rm', '--entrypoint', 'condor_version', IMAGE]);
    const found = /\$CondorVersion: (\S+)/.exec(version)?.[1] ?? '';
    if (!found.startsWith(SERIES_VERSIONS[SERIES])) {
      throw new Error(
        `image ${IMAGE} was built for HTCONDOR_SERIES=${SERIES} but runs HTCondor '${found}': ${version}`,
      );
    }
    console.log(`# image ${IMAGE} (HTCondor ${found}) built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  })();
  return built;
}

/** The monitoring profile's Prometheus image as the tests build it ($SANDBOX_TEST_IMAGE's name with -prometheus). */
export const PROMETHEUS_IMAGE = `${(process.env['SANDBOX_TEST_IMAGE'] ?? 'credmon-sandbox:test').split(':')[0]}-prometheus:test`;

let prometheusBuilt: Promise<void> | undefined;

/** Builds docker/prometheus once per test process (compose would not rebuild an image that exists). */
export function buildPrometheusImage(): Promise<void> {
  prometheusBuilt ??= (async () => {
    const started = Date.now();
    await GenericContainer.fromDockerfile(`${ROOT}/docker/prometheus`, 'Dockerfile')
      .withBuildArgs({ EXTRA_CA_CERTS: extraCaCerts() })
      .withCache(true)
      .build(PROMETHEUS_IMAGE, { deleteOnExit: false });
    console.log(`# image ${PROMETHEUS_IMAGE} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  })();
  return prometheusBuilt;
}
