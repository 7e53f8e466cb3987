/** Slurm job states, as `squeue` and `sacct` print them, mapped onto Regatta's run states. */
import type { RunStatus } from '@regatta/core';

export interface SlurmJobState {
  jobId: string;
  /** The state word, e.g. RUNNING, CANCELLED (without "by 0"). */
  state: string;
  /** squeue's reason for a pending job (Resources, Priority, ...). */
  reason?: string;
  nodes?: string;
  /** sacct's exit code of the batch script, when known. */
  exitCode?: number;
}

export interface Mapped {
  status: RunStatus;
  reason?: string;
}

/** Where a state leaves the attempt; undefined for states Regatta does not act on. */
export function mapSlurmState(j: SlurmJobState): Mapped | undefined {
  switch (j.state) {
    case 'PENDING':
    case 'REQUEUED':
    case 'SUSPENDED':
      return { status: 'queued', ...(j.reason && j.reason !== 'None' ? { reason: `pending in Slurm: ${j.reason}` } : {}) };
    case 'CONFIGURING':
      return { status: 'starting' };
    case 'RUNNING':
    case 'COMPLETING':
    case 'STAGE_OUT':
      return { status: 'running' };
    case 'COMPLETED':
      return { status: 'succeeded', reason: 'exit code 0' };
    case 'FAILED':
      return { status: 'failed', reason: j.exitCode !== undefined ? `exit code ${j.exitCode}` : 'failed in Slurm' };
    case 'OUT_OF_MEMORY':
      return { status: 'failed', reason: 'oom' };
    case 'TIMEOUT':
    case 'DEADLINE':
      return { status: 'timed_out', reason: `Slurm ${j.state.toLowerCase()}` };
    case 'CANCELLED':
      return { status: 'canceled', reason: 'canceled in Slurm' };
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
    case 'PREEMPTED':
      return { status: 'lost', reason: `Slurm ${j.state.toLowerCase().replace('_', ' ')}${j.nodes ? ` on ${j.nodes}` : ''}` };
    default:
      return undefined;
  }
}

/** `squeue -h -o '%i|%T|%r|%N'` */
export function parseSqueue(text: string): SlurmJobState[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [jobId = '', state = '', reason = '', nodes = ''] = l.split('|');
    return { jobId, state, ...(reason ? { reason } : {}), ...(nodes ? { nodes } : {}) };
  });
}

/** `sacct -n -P -X -o JobID,State,ExitCode,NodeList`; the exit code is "code:signal". */
export function parseSacct(text: string): SlurmJobState[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [jobId = '', rawState = '', exit = '', nodes = ''] = l.split('|');
    const code = Number(exit.split(':')[0]);
    return {
      jobId, state: rawState.split(' ')[0] ?? rawState,
      ...(exit && Number.isInteger(code) ? { exitCode: code } : {}), ...(nodes && nodes !== 'None assigned' ? { nodes } : {}),
    };
  });
}
