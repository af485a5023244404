/** Jobs in the sandbox: submit one as a user and wait for it, and read what test.sh printed (credential files). */
import type { ExecResult, SandboxHandle } from './sandbox.js';

/**
 * Submits `subFile` as `user` from their home directory, waits for the job to finish, and returns condor_submit's
 * output and the job's stdout (`output = ` of the submit file, default test.out).
 */
export async function submitAndWait(
  sandbox: SandboxHandle,
  user: string,
  subFile = 'test.sub',
  outFile = 'test.out',
  logFile = 'test.log',
): Promise<{ submit: ExecResult; jobOutput: string }> {
  await sandbox.sh(user, `rm -f ${outFile} ${logFile} test.err`);
  const submit = await sandbox.sh(user, `condor_submit ${subFile}`);
  if (submit.exitCode !== 0) return { submit, jobOutput: '' };
  const wait = await sandbox.sh(user, `condor_wait -wait 240 ${logFile}`);
  if (wait.exitCode !== 0) {
    const q = await sandbox.sh(
      user,
      'condor_q -better-analyze -nobatch 2>&1 | tail -40; condor_q -hold -af HoldReason',
    );
    throw new Error(`job of ${user} did not finish: ${wait.output}\n${q.output}`);
  }
  const out = await sandbox.sh(user, `cat ${outFile}`);
  return { submit, jobOutput: out.output };
}

/** Parses test.sh's output: each `==> <path> <==` header followed by the file's content. */
export function credentialFilesFrom(jobOutput: string): Map<string, string> {
  const files = new Map<string, string>();
  const parts = jobOutput.split(/^==> (.+) <==$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const path = parts[i] ?? '';
    files.set(path.split('/').pop() ?? path, (parts[i + 1] ?? '').trim());
  }
  return files;
}

/** The access token in a `.use` (JSON or bare). */
export function accessTokenOf(useContent: string): string {
  const line = useContent.split('\n')[0]?.trim() ?? '';
  if (line.startsWith('{')) {
    const parsed = JSON.parse(line) as { access_token?: unknown };
    if (typeof parsed.access_token !== 'string') throw new Error('no access_token in .use');
    return parsed.access_token;
  }
  return line;
}
