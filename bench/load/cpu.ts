import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SEC = 100; // Linux USER_HZ

/**
 * CPU time (user + system, all threads) a process has used so far, in ms, from
 * /proc/<pid>/stat; undefined where there is no /proc. CPU per operation is steadier than
 * operations per second on a machine shared with other work.
 */
export function cpuMillis(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces: count fields after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}
