import type { CredentialKind } from '../credentials/index.js';
import { stateOf, type Schedule } from '../credmon/index.js';
import type { CredentialStatus } from './status-file.js';

export interface StatusInput {
  readonly ref: { readonly user: string; readonly name: string; readonly kind: CredentialKind };
  readonly schedule: Schedule;
}

/** One tracked credential as the status file says it; `providerOf` is the metrics' labeller (configured providers). */
export function statusOf(entry: StatusInput, nowMs: number, providerOf: (name: string) => string): CredentialStatus {
  const { ref, schedule } = entry;
  const labelled = providerOf(ref.name);
  const provider = labelled === 'other' ? ref.name : labelled;
  return {
    user: ref.user,
    provider,
    handle: ref.name === provider ? '' : ref.name.slice(provider.length + 1),
    kind: ref.kind,
    state: stateOf(schedule, nowMs),
    expiresMs: schedule.life?.expiresMs ?? null,
    renewedMs: schedule.life?.writtenMs ?? null,
    nextMs: Number.isFinite(schedule.dueMs) ? schedule.dueMs : null,
    failures: schedule.failures,
    problem: schedule.problem ?? null,
  };
}
