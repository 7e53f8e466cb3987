/**
 * The external id of a process job: `pid:start[:boot]`. The start time (clock ticks since boot)
 * tells a reused pid apart; the boot id tells a job ended by a reboot from one that vanished.
 */
export interface JobId {
  pid: number;
  start: string;
  /** Absent in ids recorded before boot ids were. */
  bootId?: string;
}

export function formatJobId(j: JobId): string {
  return `${j.pid}:${j.start}${j.bootId ? `:${j.bootId}` : ''}`;
}

export function parseJobId(id: string): JobId | undefined {
  const [pidText, start, bootId] = id.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 1 || !start) return undefined;
  return { pid, start, ...(bootId ? { bootId } : {}) };
}
