/**
 * LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE, as upstream reads it: lines `* <user> <group1>,<group2>,...`; lines with fewer
 * than three fields, or whose first field is not "*", are ignored; the first line that names the user wins.
 */
export function groupsFor(mapfile: string, user: string): string[] {
  for (const line of mapfile.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3 || fields[0] !== '*') continue;
    if (fields[1] !== user) continue;
    return fields
      .slice(2)
      .join(',')
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '');
  }
  return [];
}
