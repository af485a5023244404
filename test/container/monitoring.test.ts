/**
 * `docker compose --profile monitoring` (issue 19) with the demo provider, on HTCondor 25, where one job has all
 * three kinds of credential: `scitokens` (OAuth, a browser login at the demo provider), `robot` (client credentials)
 * and `chemistry` (a local issuer; LOCAL_CREDMON_PROVIDER_NAMES needs 24.3+). The real Prometheus scrapes the real
 * credmon and web app: every target up, credentials by state and tokens written as the job gets them, no series
 * naming a user; then the demo provider stops, refreshes fail, `credmon_refresh_failures_total` rises and the
 * CredmonRefreshesFailing alert goes pending or firing; credmon-status lists the failing credentials first with their
 * reason, `--json` parses, and a user is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { logInWithDemoProvider, loginUrlFrom } from '../helpers/demo-login.js';
import { startDemoSandbox, type DemoSandbox } from '../helpers/demo-sandbox.js';
import { dockerCli } from '../helpers/docker-cli.js';
import { freePort } from '../helpers/free-port.js';
import { SERIES, buildPrometheusImage, PROMETHEUS_IMAGE } from '../helpers/image.js';
import { submitAndWait } from '../helpers/jobs.js';
import { waitFor } from '../helpers/wait-for.js';

/** Short demo tokens: renewed 20 s after they are written, so a dead provider shows within a minute. */
const TTL_S = 40;
const JOB = `universe = vanilla
executable = /bin/sh
arguments = "-c 'ls $_CONDOR_CREDS'"
use_oauth_services = scitokens, robot, chemistry
output = monitor.out
error = monitor.err
log = monitor.log
queue
`;

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

describe('the monitoring profile: Prometheus, alerts, credmon-status', { timeout: 900_000 }, () => {
  let demo: DemoSandbox;
  let prometheus: string;

  before(async () => {
    assert.equal(SERIES, '25', 'local, OAuth and client credentials together need HTCondor 24.3+: SANDBOX_SERIES=25');
    await buildPrometheusImage();
    const port = await freePort();
    prometheus = `http://127.0.0.1:${port}`;
    demo = await startDemoSandbox(
      {
        PROMETHEUS_PORT: String(port),
        SANDBOX_PROMETHEUS_IMAGE: PROMETHEUS_IMAGE,
        DEMO_ACCESS_TOKEN_TTL: String(TTL_S),
        CONDOR_EXTRA_CONFIG: 'LOCAL_CREDMON_PROVIDER_NAMES = chemistry',
      },
      ['monitoring'],
    );
  });

  after(async () => {
    await demo?.[Symbol.asyncDispose]();
  });

  async function query(expr: string): Promise<Sample[]> {
    const res = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
    const body = (await res.json()) as { status: string; data: { result: Sample[] } };
    assert.equal(body.status, 'success', JSON.stringify(body));
    return body.data.result;
  }

  const valueOf = async (expr: string): Promise<number | undefined> => {
    const [first] = await query(expr);
    return first === undefined ? undefined : Number(first.value[1]);
  };

  test('a job with local, OAuth and client credentials: targets up, credentials counted, no user named', async () => {
    const { sandbox, browser, demoUrl } = demo;
    await sandbox.sh('submitter', `cat > monitor.sub <<'EOF'\n${JOB}EOF`);
    const first = await sandbox.sh('submitter', 'condor_submit monitor.sub');
    await logInWithDemoProvider(browser, loginUrlFrom(first.output, sandbox.baseUrl), sandbox.baseUrl, demoUrl);
    const { submit, jobOutput } = await submitAndWait(
      sandbox,
      'submitter',
      'monitor.sub',
      'monitor.out',
      'monitor.log',
    );
    assert.equal(submit.exitCode, 0, submit.output);
    for (const name of ['scitokens.use', 'robot.use', 'chemistry.use']) assert.match(jobOutput, new RegExp(name));

    await waitFor(
      async () => (await query('up == 1')).length === 3,
      90_000,
      'the credmon, the web app and Prometheus itself scraped',
    );
    const jobs = (await query('up')).map((s) => s.metric['job']).sort();
    assert.deepEqual(jobs, ['credmon', 'credmon-web', 'prometheus']);
    await waitFor(
      async () => (await query('credmon_credentials{state="fresh"} > 0')).length === 3,
      90_000,
      'three fresh credentials, one of each kind',
    );
    const kinds = (await query('credmon_credentials{state="fresh"} > 0')).map(
      (s) => `${s.metric['provider']}/${s.metric['kind']}`,
    );
    assert.deepEqual(kinds.sort(), ['chemistry/local', 'robot/client', 'scitokens/oauth']);
    assert.ok(((await valueOf('credmon_tokens_written_total{provider="chemistry",kind="local"}')) ?? 0) >= 1);
    assert.ok(((await valueOf('credmon_web_logins_total{provider="scitokens",outcome="completed"}')) ?? 0) >= 1);
    assert.ok(((await valueOf('credmon_token_min_remaining_seconds{provider="scitokens"}')) ?? 0) > 0);

    // The graphs docs/monitoring.md names answer with data.
    assert.ok((await query('sum by (state) (credmon_credentials)')).length > 0);
    assert.ok((await query('sum by (provider) (rate(credmon_tokens_written_total[5m])) * 60')).length > 0);

    const every = await query('{__name__=~"credmon_.+"}');
    assert.ok(every.length > 20, `${every.length} credmon series`);
    for (const sample of every) {
      for (const [label, value] of Object.entries(sample.metric)) {
        assert.ok(
          !/submitter|demo@|^demo$/.test(value),
          `${sample.metric['__name__']}: ${label}="${value}" names a user`,
        );
      }
    }
  });

  test('the demo provider stops: refreshes fail, the alert goes pending, credmon-status puts them first', async () => {
    const { sandbox } = demo;
    await dockerCli(['stop', `${sandbox.projectName}-demo-provider-1`]);
    await waitFor(
      async () => ((await valueOf('credmon_refresh_failures_total{provider="scitokens",class="transient"}')) ?? 0) > 0,
      150_000,
      'credmon_refresh_failures_total of scitokens rising',
    );
    await waitFor(
      async () => {
        const res = await fetch(`${prometheus}/api/v1/alerts`);
        const { data } = (await res.json()) as {
          data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
        };
        return data.alerts.some(
          (a) => a.labels['alertname'] === 'CredmonRefreshesFailing' && a.labels['provider'] === 'scitokens',
        );
      },
      120_000,
      'CredmonRefreshesFailing for scitokens pending or firing',
    );

    const table = await sandbox.exec(['credmon-status']);
    assert.equal(table.exitCode, 0, table.output);
    console.log(table.output.replace(/^/gm, '# credmon-status: '));
    const lines = table.output.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^credmon pid \d+ \(running\), status written \d+s ago/);
    assert.match(lines[1] ?? '', /^USER +PROVIDER +HANDLE +KIND +STATE/);
    assert.match(lines[2] ?? '', /^submitter +(scitokens|robot) +- +(oauth|client) +failing .*\d+ failures?: /);
    assert.match(table.output, /^submitter +chemistry +- +local +fresh /m);
    const failing = lines.filter((l) => / failing /.test(l));
    const fresh = lines.findIndex((l) => / fresh /.test(l));
    assert.ok(lines.indexOf(failing[failing.length - 1] ?? '') < fresh, 'what needs attention comes first');
    assert.match(table.output, /scitokens tokens for user submitter \((temporarily|unexpectedly)\)/);
    for (const word of ['access_token', 'refresh_token', 'eyJ']) assert.ok(!table.output.includes(word), word);

    const json = JSON.parse((await sandbox.exec(['credmon-status', '--json', '--user', 'submitter'])).output) as {
      credmon: { running: boolean };
      credentials: Array<{ user: string; state: string }>;
    };
    assert.equal(json.credmon.running, true);
    assert.equal(json.credentials[0]?.state, 'failing');
    assert.ok(json.credentials.every((c) => c.user === 'submitter'));
    const asUser = await sandbox.sh('submitter', '/usr/local/sbin/credmon-status');
    assert.equal(asUser.exitCode, 2);
    assert.match(asUser.output, /run it as root or condor/);
  });
});
