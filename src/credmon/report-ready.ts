import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

/**
 * Tells condor_master that this daemon is ready (DC_SET_READY), so `condor_who -wait` and the master's IsReady stop
 * waiting on us and `condor_who -quick` shows `<SUBSYSTEM>_State = "Ready"` instead of the daemon stuck in "Startup".
 *
 * We cannot speak CEDAR, so a short-lived python3 child uses the htcondor bindings. Two obstacles, both checked by
 * experiment against HTCondor 23.9.6 (minicondor):
 *  - The master looks the daemon up by the ad's DaemonPID, which must be the PID it started (ours), but
 *    htcondor.set_ready_state() always sends getpid(). The child therefore points the getpid slot in the bindings'
 *    own GOT at a function returning our PID (only calls made from that module are affected).
 *  - DC_SET_READY needs DAEMON authorization. The bindings do not actually use the family session from
 *    CONDOR_PRIVATE_INHERIT, so a root child authenticates (FS) as root@UID_DOMAIN, which minicondor's
 *    `ALLOW_DAEMON = condor@$(UID_DOMAIN)` denies. The child therefore drops to the condor user (CONDOR_IDS, else
 *    the `condor` account) before sending, authenticating as condor@UID_DOMAIN. Not root: it sends as itself.
 * argv: <daemon pid> <state> <subsystem>
 */
const READY_SNIPPET = [
  'import ctypes, os, pwd, struct, sys',
  'pid, state, subsystem = int(sys.argv[1]), sys.argv[2], sys.argv[3]',
  'import htcondor',
  'htcondor.set_subsystem(subsystem, htcondor.SubsystemType.Daemon)',
  'so = next(m.__file__ for m in list(sys.modules.values()) if m.__name__.startswith("htcondor")',
  '          and str(getattr(m, "__file__", "")).endswith(".so") and hasattr(m, "set_ready_state"))',
  'real = os.path.realpath(so)',
  'data = open(real, "rb").read()',
  'if data[:5] != b"\\x7fELF\\x02" or data[5] != 1: sys.exit("unsupported ELF: " + real)',
  'phoff, shoff = struct.unpack_from("<QQ", data, 0x20)',
  'phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)',
  'loads = [struct.unpack_from("<IIQQ", data, phoff + i * phentsize) for i in range(phnum)]',
  'vaddr0 = min(p[3] for p in loads if p[0] == 1) & ~0xfff',
  'base = min(int(l.split("-", 1)[0], 16) for l in open("/proc/self/maps") if l.rstrip().endswith(" " + real)) - vaddr0',
  'sh = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]',
  'slot = None',
  'for s in sh:',
  '    if s[1] != 4: continue',
  '    symtab = sh[s[6]]; strtab = sh[symtab[6]]',
  '    for off in range(s[4], s[4] + s[5], 24):',
  '        r_offset, r_info = struct.unpack_from("<QQ", data, off)',
  '        if (r_info & 0xffffffff) not in (6, 7, 1025, 1026): continue',
  '        name = strtab[4] + struct.unpack_from("<I", data, symtab[4] + (r_info >> 32) * 24)[0]',
  '        if data[name:data.index(b"\\0", name)] == b"getpid": slot = base + r_offset',
  'if slot is None: sys.exit("no getpid relocation in " + real)',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)',
  'pagesize = os.sysconf("SC_PAGE_SIZE")',
  'if libc.mprotect(slot & ~(pagesize - 1), pagesize, 3) != 0: sys.exit("mprotect: " + os.strerror(ctypes.get_errno()))',
  'fake_getpid = ctypes.CFUNCTYPE(ctypes.c_int)(lambda: pid)',
  'ctypes.c_void_p.from_address(slot).value = ctypes.cast(fake_getpid, ctypes.c_void_p).value',
  'if os.geteuid() == 0:',
  '    ids = htcondor.param.get("CONDOR_IDS")',
  '    if ids: uid, gid = (int(x) for x in ids.strip().split("."))',
  '    else: p = pwd.getpwnam("condor"); uid, gid = p.pw_uid, p.pw_gid',
  '    os.setgroups([]); os.setgid(gid); os.setuid(uid)',
  'htcondor.set_ready_state(state)',
  'print("DC_SET_READY %s sent for pid %d as uid %d" % (state, pid, os.getuid()))',
].join('\n');

const TIMEOUT_MS = 15_000;

interface RunResult {
  readonly error: Error | null;
  readonly stdout: string;
  readonly stderr: string;
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return lines[lines.length - 1] ?? '';
}

/** Reports `Ready` to the condor_master that started us; logs and carries on if that is impossible. Never throws. */
export async function reportReady(subsystem: string, log: Logger): Promise<void> {
  if (!process.env['CONDOR_INHERIT']) {
    log.debug('CONDOR_INHERIT is not set (not started by condor_master): not reporting a ready state');
    return;
  }
  try {
    const result = await new Promise<RunResult>((resolve) => {
      execFile(
        'python3',
        ['-c', READY_SNIPPET, String(process.pid), 'Ready', subsystem],
        { env: process.env, timeout: TIMEOUT_MS, killSignal: 'SIGKILL', windowsHide: true },
        (error, stdout, stderr) => resolve({ error, stdout: String(stdout), stderr: String(stderr) }),
      );
    });
    if (result.error) {
      const detail = lastLine(result.stderr) || result.error.message;
      log.warn({ subsystem, detail }, 'Could not tell condor_master that the credmon is ready; it will show as not ready');
      return;
    }
    log.info({ subsystem, detail: lastLine(result.stdout) }, 'Told condor_master that the credmon is ready');
  } catch (error) {
    log.warn({ subsystem, detail: error instanceof Error ? error.message : String(error) }, 'Could not tell condor_master that the credmon is ready');
  }
}
