/**
 * The monitoring profile's Prometheus (docker/prometheus): Debian's prometheus with our scrape configuration and alert
 * rules. In the image, promtool checks the configuration and the rules and runs their unit tests (alerts.test.yml);
 * the server starts as the image says (user prometheus, 0.0.0.0:9090, /prometheus, two days), becomes healthy and
 * loads exactly the alerts below; each alert's unit tests are shown to bite (its rule made never to fire, or always
 * to fire, fails them, naming that alert); the graph URLs of docs/monitoring.md open Debian's graph page on queries
 * Prometheus accepts; and compose's `monitoring` profile adds the service. The scrape of a real sandbox is the
 * monitoring container test's; here Prometheus talks to nothing but itself (the sandbox targets are down).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROMETHEUS_IMAGE as IMAGE, buildPrometheusImage } from '../helpers/image.js';
import { ROOT } from '../helpers/root.js';
import { waitFor } from '../helpers/wait-for.js';

const CONTAINER = `cmtest-prometheus-${process.pid}`;
const DIR = join(ROOT, 'docker', 'prometheus');

/** Every alert alerts.yml ships. A rule added, renamed or lost fails here until its tests and docs follow. */
const ALERTS = [
  'CredmonCredentialsBroken',
  'CredmonDown',
  'CredmonRefreshesFailing',
  'CredmonRefreshesRejected',
  'CredmonScanSlow',
  'CredmonScanStale',
  'CredmonTokenExpiresBeforeRenewal',
  'CredmonWebDown',
];
/** The alerts that are per provider: their summary and description say which. */
const PER_PROVIDER = [
  'CredmonCredentialsBroken',
  'CredmonRefreshesFailing',
  'CredmonRefreshesRejected',
  'CredmonTokenExpiresBeforeRenewal',
];
/** The labels an annotation may show; the metrics have no user label, and no annotation may name one. */
const SHOWN_LABELS = new Set(['provider', 'kind', 'state', 'job', 'instance']);
const SEVERITIES = new Set(['critical', 'warning', 'info']);
/** The ready-made graphs of docs/monitoring.md. */
const GRAPHS = [
  'sum by (state) (credmon_credentials)',
  'sum by (provider) (rate(credmon_tokens_written_total[5m])) * 60',
  'credmon_token_min_remaining_seconds',
];

interface Run {
  readonly code: number;
  readonly output: string;
}

/** Runs `command args...` (stdin: `input`), resolving with its exit status and stdout+stderr; -1 on a timeout. */
function run(
  command: string,
  args: readonly string[],
  options: { readonly input?: string; readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      [...args],
      { cwd: ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (error?.killed) resolve({ code: -1, output: `${output}\n(timed out)` });
        else resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

function docker(args: readonly string[], input?: string): Promise<Run> {
  return run('docker', args, input === undefined ? {} : { input });
}

/** A rule as /api/v1/rules shows it (Prometheus' own parse of alerts.yml). */
interface ApiRule {
  readonly type: string;
  readonly name: string;
  readonly query: string;
  readonly duration: number;
  readonly keepFiringFor?: number;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

interface ApiGroup {
  readonly name: string;
  readonly interval: number;
  readonly rules: readonly ApiRule[];
}

/** The rule groups written back as a rules file (JSON is YAML), with `alert`'s expression replaced by `expr`. */
function rulesFile(groups: readonly ApiGroup[], mutation?: { readonly alert: string; readonly expr: string }): string {
  return JSON.stringify({
    groups: groups.map((group) => ({
      name: group.name,
      interval: `${group.interval}s`,
      rules: group.rules.map((rule) => ({
        alert: rule.name,
        expr: rule.name === mutation?.alert ? mutation.expr : rule.query,
        for: `${rule.duration}s`,
        keep_firing_for: `${rule.keepFiringFor ?? 0}s`,
        labels: rule.labels ?? {},
        annotations: rule.annotations ?? {},
      })),
    })),
  });
}

/** `promtool test rules` of alerts.test.yml in the container, against `rules` instead of the image's alerts.yml. */
function promtoolTestAgainst(rules: string): Promise<Run> {
  const script =
    'd=$(mktemp -d) && cat > "$d/alerts.yml" && cp /etc/prometheus/alerts.test.yml "$d/" && ' +
    'promtool test rules "$d/alerts.test.yml"; rc=$?; rm -rf "$d"; exit $rc';
  return docker(['exec', '-i', CONTAINER, 'sh', '-c', script], rules);
}

/** A graph URL's expression as Debian's classic graph page reads it (split on & and =, + is a space). */
function classicGraphOptions(url: URL): Record<string, string> {
  const options: Record<string, string> = {};
  for (const tuple of url.search.slice(1).split('&')) {
    const [name = '', value = ''] = tuple.split('=');
    options[name] = decodeURIComponent(value.replace(/\+/g, ' '));
  }
  return options;
}

describe('the monitoring profile: Prometheus and its alert rules', { timeout: 900_000 }, () => {
  let base: string;
  let groups: ApiGroup[];

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${base}${path}`);
    const body = (await res.json()) as { status: string; data: T };
    assert.equal(body.status, 'success', `${path}: ${JSON.stringify(body)}`);
    return body.data;
  }

  before(async () => {
    await buildPrometheusImage();
    const start = await docker(['run', '-d', '--name', CONTAINER, '-p', '127.0.0.1::9090', IMAGE]);
    assert.equal(start.code, 0, start.output);
    const port = /:(\d+)\s*$/m.exec((await docker(['port', CONTAINER, '9090/tcp'])).output)?.[1];
    assert.ok(port, 'the container publishes 9090');
    base = `http://127.0.0.1:${port}`;
    // The image's HEALTHCHECK (compose's too): promtool check ready.
    await waitFor(
      async () =>
        (await docker(['inspect', '--format', '{{.State.Health.Status}}', CONTAINER])).output.trim() === 'healthy',
      60_000,
      'the Prometheus container to be healthy',
    );
    const copy = await docker(['cp', join(DIR, 'alerts.test.yml'), `${CONTAINER}:/etc/prometheus/alerts.test.yml`]);
    assert.equal(copy.code, 0, copy.output);
    groups = (await api<{ groups: ApiGroup[] }>('/api/v1/rules')).groups;
  });

  after(async () => {
    const logs = await docker(['logs', '--tail', '20', CONTAINER]);
    if (/level=(error|warn)/.test(logs.output)) console.log(`# Prometheus' last log lines:\n${logs.output}`);
    await docker(['rm', '-f', '-v', CONTAINER]);
  });

  test('promtool: the configuration and the rules are valid, and their unit tests pass', async () => {
    const config = await docker(['exec', CONTAINER, 'promtool', 'check', 'config', '/etc/prometheus/prometheus.yml']);
    assert.equal(config.code, 0, config.output);
    assert.match(config.output, /SUCCESS: 1 rule files found/);
    assert.match(config.output, new RegExp(`alerts\\.yml\\s+SUCCESS: ${ALERTS.length} rules found`));

    const rules = await docker([
      'exec',
      CONTAINER,
      'promtool',
      'check',
      'rules',
      '--lint-fatal',
      '/etc/prometheus/alerts.yml',
    ]);
    assert.equal(rules.code, 0, rules.output);
    assert.match(rules.output, new RegExp(`SUCCESS: ${ALERTS.length} rules found`));

    const tests = await docker(['exec', CONTAINER, 'promtool', 'test', 'rules', '/etc/prometheus/alerts.test.yml']);
    assert.equal(tests.code, 0, tests.output);
    assert.match(tests.output, /SUCCESS/);
    assert.doesNotMatch(tests.output, /FAILED/);
  });

  test('Prometheus runs as the image says: as prometheus, on 0.0.0.0:9090, in /prometheus, for 2d', async () => {
    const user = await docker(['exec', CONTAINER, 'stat', '-c', '%U', '/proc/1']);
    assert.equal(user.output.trim(), 'prometheus', user.output);
    const flags = await api<Record<string, string>>('/api/v1/status/flags');
    assert.equal(flags['config.file'], '/etc/prometheus/prometheus.yml');
    assert.equal(flags['web.listen-address'], '0.0.0.0:9090');
    assert.equal(flags['storage.tsdb.path'], '/prometheus');
    assert.equal(flags['storage.tsdb.retention.time'], '2d');
    assert.equal(flags['web.enable-lifecycle'], 'false');
    const config = await api<{ yaml: string }>('/api/v1/status/config');
    assert.match(config.yaml, /scrape_interval: 15s/);
    assert.match(config.yaml, /evaluation_interval: 15s/);
    assert.doesNotMatch(config.yaml, /alertmanagers?:\s*\n\s*-/, 'no Alertmanager is configured');
  });

  test('it scrapes the credmon, the web app and itself at the agreed addresses', async () => {
    interface Target {
      readonly labels: Record<string, string>;
      readonly scrapeUrl: string;
      readonly health: string;
    }
    const targets = async (): Promise<Target[]> =>
      (await api<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets;
    // The targets appear once service discovery has run, a moment after the start.
    await waitFor(async () => (await targets()).length >= 3, 30_000, 'three scrape targets');
    const urls = Object.fromEntries(
      (await targets()).map((t): [string, string] => [t.labels['job'] ?? '', t.scrapeUrl]),
    );
    assert.deepEqual(urls, {
      credmon: 'http://sandbox:9464/metrics',
      'credmon-web': 'http://sandbox:9465/metrics',
      prometheus: 'http://localhost:9090/metrics',
    });
    await waitFor(
      async () => (await targets()).some((t) => t.labels['job'] === 'prometheus' && t.health === 'up'),
      60_000,
      'Prometheus to scrape itself',
    );
  });

  test('the loaded rules are exactly the expected alerts, each with a severity, a summary and a description', () => {
    const rules = groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.name).sort(), ALERTS, 'the alerts Prometheus loaded');
    const inFile = [...readFileSync(join(DIR, 'alerts.yml'), 'utf8').matchAll(/^\s*- alert: (\S+)\s*$/gm)].map(
      (m) => m[1],
    );
    assert.deepEqual(inFile.sort(), ALERTS, 'the alerts alerts.yml names');
    for (const rule of rules) {
      assert.equal(rule.type, 'alerting', rule.name);
      assert.ok(SEVERITIES.has(rule.labels?.['severity'] ?? ''), `${rule.name}: severity ${rule.labels?.['severity']}`);
      const { summary = '', description = '' } = rule.annotations ?? {};
      assert.ok(summary && description, `${rule.name} has a summary and a description`);
      for (const text of [summary, description]) {
        if (PER_PROVIDER.includes(rule.name)) assert.match(text, /\{\{ \$labels\.provider \}\}/, rule.name);
        for (const [, label = ''] of text.matchAll(/\$labels\.(\w+)/g)) {
          assert.ok(SHOWN_LABELS.has(label), `${rule.name} shows only ${[...SHOWN_LABELS].join(', ')}: ${label}`);
        }
      }
    }
  });

  test("each alert's unit tests bite: never firing or always firing fails them, naming that alert alone", async () => {
    // The harness first: the loaded rules written back pass the tests unchanged.
    const same = await promtoolTestAgainst(rulesFile(groups));
    assert.equal(same.code, 0, same.output);
    for (const alert of ALERTS) {
      const others = ALERTS.filter((a) => a !== alert);
      // A rule that never fires: its firing tests fail.
      const never = await promtoolTestAgainst(rulesFile(groups, { alert, expr: 'vector(0) > 1' }));
      assert.notEqual(never.code, 0, `${alert} never firing passed its tests:\n${never.output}`);
      assert.match(never.output, new RegExp(`alertname: ${alert}, time: [^,]+, \\s*exp:\\[\\s*0:`), never.output);
      for (const other of others) assert.doesNotMatch(never.output, new RegExp(`alertname: ${other},`));
      // A rule that always fires: a test expecting silence (past the rule's `for`) fails.
      const always = await promtoolTestAgainst(rulesFile(groups, { alert, expr: 'vector(1)' }));
      assert.notEqual(always.code, 0, `${alert} always firing passed its tests:\n${always.output}`);
      assert.match(
        always.output,
        new RegExp(`alertname: ${alert}, time: [^,]+, \\s*exp:\\[\\], \\s*got:\\[\\s*0:`),
        always.output,
      );
      for (const other of others) assert.doesNotMatch(always.output, new RegExp(`alertname: ${other},`));
    }
  });

  test('with no sandbox to scrape, CredmonDown becomes pending, then firing, for job credmon', async () => {
    interface Alert {
      readonly labels: Record<string, string>;
      readonly state: string;
    }
    await waitFor(
      async () =>
        (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.some(
          (a) => a.labels['alertname'] === 'CredmonDown' && a.labels['instance'] === 'sandbox:9464',
        ),
      90_000,
      'CredmonDown to be pending or firing',
    );
    const alerts = (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
    const down = alerts.find((a) => a.labels['alertname'] === 'CredmonDown');
    assert.deepEqual(
      { ...down?.labels },
      { alertname: 'CredmonDown', instance: 'sandbox:9464', job: 'credmon', severity: 'critical' },
    );
    assert.ok(['pending', 'firing'].includes(down?.state ?? ''), down?.state);
  });

  test("the graph URLs of docs/monitoring.md and the README open Debian's classic graph page", async () => {
    const doc = readFileSync(join(ROOT, 'docs', 'monitoring.md'), 'utf8');
    const urls = [...doc.matchAll(/http:\/\/127\.0\.0\.1:9090\/classic\/graph\?[^\s)>\]`"]+/g)].map(
      (m) => new URL(m[0]),
    );
    const options = urls.map(classicGraphOptions);
    assert.deepEqual(
      options.map((o) => o['g0.expr']),
      GRAPHS,
      'the documented graphs, in order',
    );
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/http:\/\/127\.0\.0\.1:9090\/classic\/graph\?[^\s)>\]`"]+/g)].map((m) => m[0]);
    assert.deepEqual(linked, urls.map(String), 'the README links the same three graphs');
    for (const o of options) assert.deepEqual(Object.keys(o), ['g0.expr', 'g0.tab', 'g0.range_input']);
    for (const o of options) assert.equal(o['g0.tab'], '0', 'the Graph tab');
    for (const o of options) assert.equal(o['g0.range_input'], '1h');
    for (const [i, url] of urls.entries()) {
      const page = await fetch(`${base}${url.pathname}${url.search}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Prometheus Time Series Collection and Processing Server/);
      await api(`/api/v1/query?query=${encodeURIComponent(GRAPHS[i] ?? '')}`);
    }
    // Why /classic: Debian's package has no React UI, and /graph says so.
    const graph = await fetch(`${base}/graph`);
    assert.match(await graph.text(), /does not include the modern React web UI/);
  });

  test('compose: --profile monitoring adds the prometheus service, on 127.0.0.1:9090 by default', async () => {
    const env = { ...process.env };
    for (const name of ['PROMETHEUS_PORT', 'SANDBOX_BIND_ADDRESS', 'SANDBOX_PROMETHEUS_IMAGE']) delete env[name];
    // --env-file /dev/null: a developer's .env does not change the defaults checked here.
    const compose = ['compose', '--env-file', '/dev/null'];
    const plain = await run('docker', [...compose, 'config', '--services'], { env });
    assert.equal(plain.code, 0, plain.output);
    assert.doesNotMatch(plain.output, /^prometheus$/m, 'not without the profile');
    const profiled = await run('docker', [...compose, '--profile', 'monitoring', 'config', '--format', 'json'], {
      env,
    });
    assert.equal(profiled.code, 0, profiled.output);
    const service = (JSON.parse(profiled.output) as { services: Record<string, Record<string, unknown>> }).services[
      'prometheus'
    ];
    assert.ok(service, 'the prometheus service');
    assert.deepEqual(service['profiles'], ['monitoring']);
    assert.equal(service['image'], 'credmon-sandbox-prometheus:latest');
    assert.deepEqual(service['build'], {
      context: DIR,
      dockerfile: 'Dockerfile',
      args: { EXTRA_CA_CERTS: process.env['EXTRA_CA_CERTS'] ?? '' },
    });
    assert.deepEqual(service['ports'], [
      { mode: 'ingress', host_ip: '127.0.0.1', target: 9090, published: '9090', protocol: 'tcp' },
    ]);
    assert.deepEqual(service['depends_on'], { sandbox: { condition: 'service_healthy', required: true } });
    assert.deepEqual((service['healthcheck'] as { test: string[] }).test, [
      'CMD',
      'promtool',
      'check',
      'ready',
      '--url=http://localhost:9090',
    ]);
    assert.deepEqual(service['volumes'], [{ type: 'volume', source: 'prometheus', target: '/prometheus', volume: {} }]);
  });
});
