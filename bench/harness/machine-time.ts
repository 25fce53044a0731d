import { readFileSync } from 'node:fs';

/** The machine's CPU time so far, in clock ticks of all cores together (Linux `/proc/stat`). */
export interface MachineTime {
  total: number;
  idle: number;
  /** Time the hypervisor ran something else while this machine wanted a core. */
  steal: number;
}

/**
 * The `cpu` line of `/proc/stat`, or `undefined` off Linux. On a virtual machine the one-minute
 * load average says little (it stays near 1 here with every core idle); the idle and steal
 * ticks say how much of the CPU the run really had.
 */
export function machineTime(): MachineTime | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = /^cpu\s+(.*)$/m.exec(stat)?.[1].trim().split(/\s+/).map(Number);
  if (!fields || fields.length < 8 || fields.some(Number.isNaN)) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice, already inside user/nice]
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return {
    total: user + nice + system + idle + iowait + irq + softirq + steal,
    idle: idle + iowait,
    steal,
  };
}

/** Percentages of the time between two readings: busy (anything not idle) and stolen. */
export function machineShares(
  from: MachineTime | undefined,
  to: MachineTime | undefined,
): { busy: number; steal: number } | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  const total = to.total - from.total;
  return {
    busy: (100 * (total - (to.idle - from.idle))) / total,
    steal: (100 * (to.steal - from.steal)) / total,
  };
}
