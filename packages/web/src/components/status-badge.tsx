import type { RunStatus } from '@regatta/sdk/client';

export function StatusBadge({ status }: { status: RunStatus | string }) {
  return <span className="badge" data-status={status}>{status.replace('_', ' ')}</span>;
}
