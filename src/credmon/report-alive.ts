import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

/**
 * Tells the condor_master that started us that we are alive, so the master marks CREDMON_OAUTH "Alive" and its
 * IsReady becomes true (`condor_who -wait:60 IsReady` works), and so the master can restart us if we ever hang.
 *
 * We do not speak CEDAR. A short-lived python3 child uses HTCondor's own bindings: `htcondor.send_alive(pid=...)`
 * sends DC_CHILDALIVE for an explicit PID (ours; set_ready_state would send the child's). Verified on 23.9.6: the
 * bindings do not use the family session from CONDOR_PRIVATE_INHERIT, so a child running as root authenticates by
 * FS as root@UID_DOMAIN, which minicondor's `ALLOW_DAEMON = condor@$(UID_DOMAIN)` denies (upstream's Python credmon
 * hits exactly this: "DENIED ... for user root"). The child therefore drops to the condor account first and
 * authenticates as condor@UID_DOMAIN, which the stock configuration already allows. No configuration change needed.
 * argv: <pid> <timeout seconds> <subsystem>
 */
const SNIPPET = `
import os, pwd, sys
pid, timeout, subsystem = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
try:
    import htcondor
except ImportError:
    import htcondor2 as htcondor
htcondor.set_subsystem(subsystem, htcondor.SubsystemType.Daemon)
if os.geteuid() == 0:
    ids = htcondor.param.get("CONDOR_IDS")
    if ids:
        uid, gid = (int(x) for x in ids.strip().split("."))
    else:
        entry = pwd.getpwnam("condor")
        uid, gid = entry.pw_uid, entry.pw_gid
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
htcondor.send_alive(pid=pid, timeout=timeout)
`;

const CHILD_TIMEOUT_MS = 15_000;

/**
 * Sends one keep-alive. Resolves true on success; logs and resolves false otherwise. Never throws. `env` is the
 * environment condor_master gave us (bin/credmon.ts passes its own): the keep-alive is sent only when it holds
 * CONDOR_INHERIT, and the python3 child runs with it.
 */
export async function reportAlive(
  subsystem: string,
  timeoutS: number,
  log: Logger,
  env: NodeJS.ProcessEnv,
  python = 'python3',
): Promise<boolean> {
  if (!env['CONDOR_INHERIT']) {
    log.debug('Not started by condor_master (no CONDOR_INHERIT): not sending keep-alives');
    return false;
  }
  return new Promise((resolve) => {
    execFile(
      python,
      ['-c', SNIPPET, String(process.pid), String(timeoutS), subsystem],
      { env, timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (error, _stdout, stderr) => {
        if (!error) {
          log.debug({ timeoutS }, 'Sent a keep-alive to condor_master');
          resolve(true);
          return;
        }
        const last = String(stderr).trim().split('\n').pop() || error.message;
        log.warn(`Could not tell condor_master that the credmon is alive (it will show as "Startup"): ${last}`);
        resolve(false);
      },
    );
  });
}
