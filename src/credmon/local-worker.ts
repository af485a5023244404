/**
 * Worker-thread entry of the LocalWorkPool: signs and writes local tokens in bulk on another core. It builds its own
 * LocalIssuer and CredentialDirectory from the setup the pool sends (plain data and KeyObjects: a thread cannot share
 * the main thread's objects), with the same constructors and so the same rules, runs jobs, and posts results back. It reads no environment, opens no socket, and ends when the pool terminates it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CredentialDirectory } from '../credentials/index.js';
import { LocalIssuer } from '../issuer/index.js';
import { runLocalJobs, type LocalRenewalContext } from './local-renewal.js';
import type { WorkerRequest, WorkerResponse, WorkerSetup } from './local-work-pool.js';

const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new TypeError('local-worker runs only as a worker thread');

const issuers = new Map(
  setup.issuers.map((i) => [
    i.provider,
    i.kind === 'key'
      ? new LocalIssuer(
          i.config,
          i.key,
          {
            warn: (fields, message) => port.postMessage({ type: 'warning', fields, message } satisfies WorkerResponse),
          },
          { classadPath: i.classadPath },
        )
      : new Error(i.message),
  ]),
);
const directory = new CredentialDirectory(setup.root);
const ctx: LocalRenewalContext = {
  directory,
  issuers,
  handles: setup.handles,
  clientProviders: setup.clientProviders,
  processStartMs: setup.processStartMs,
};

port.on('message', (request: WorkerRequest) => {
  for (const [provider, key] of Object.entries(request.keys)) {
    const issuer = issuers.get(provider);
    if (issuer instanceof LocalIssuer && issuer.key.kid !== key.kid) issuer.useKey(key);
  }
  const results = runLocalJobs(ctx, request.jobs, request.nowMs, (user) => directory.userVersion(user));
  port.postMessage({ type: 'results', id: request.id, results } satisfies WorkerResponse);
});
