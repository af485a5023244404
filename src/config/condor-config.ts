import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigInvalid } from '../shared/errors.js';
import type { KnobLookup } from './values.js';

const execFileAsync = promisify(execFile);

/**
 * Parses `condor_config_val -dump` output ("NAME = value" lines, "#" comments) into a case-insensitive lookup.
 * Knob names are case-insensitive in HTCondor, so keys are upper-cased.
 */
export function parseConfigDump(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const eq = line.indexOf(' = ');
    if (eq <= 0) {
      const bare = line.match(/^([A-Za-z0-9_.]+) =$/);
      if (bare?.[1]) values.set(bare[1].toUpperCase(), '');
      continue;
    }
    values.set(line.slice(0, eq).trim().toUpperCase(), line.slice(eq + 3));
  }
  return values;
}

export function lookupFrom(values: ReadonlyMap<string, string>): KnobLookup {
  return (name) => values.get(name.toUpperCase());
}

/**
 * Reads the named knobs from HTCondor's configuration, as the daemon `subsystem` sees them (so `CREDMON_OAUTH.X`
 * overrides apply), with macros expanded: one `condor_config_val -dump -expanded` call.
 */
export async function readCondorConfig(
  names: readonly string[],
  options: { subsystem: string; command?: string; patterns?: readonly string[] },
): Promise<KnobLookup> {
  const command = options.command ?? 'condor_config_val';
  const alternatives = [...names.map((n) => n.replace(/[^A-Za-z0-9_]/g, '')), ...(options.patterns ?? [])];
  const pattern = `^(${alternatives.join('|')})$`;
  try {
    const { stdout } = await execFileAsync(command, ['-subsystem', options.subsystem, '-dump', '-expanded', pattern], {
      timeout: 30_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    return lookupFrom(parseConfigDump(stdout));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigInvalid([`cannot read the HTCondor configuration with ${command}: ${reason}`]);
  }
}
