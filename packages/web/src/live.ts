/**
 * Live status from GET /api/v1/events (Server-Sent Events; the session cookie rides along). Changes
 * are collected and applied a few times a second, so a 10,000-item group does not refetch per event:
 * run rows in cached lists are patched in place, open run and group pages are refetched.
 */
import { useEffect, useState } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { RunChange, RunList } from '@regatta/sdk/client';

function apply(qc: QueryClient, changes: Map<string, RunChange>, listsStale: boolean): void {
  qc.setQueriesData<RunList>({ queryKey: ['runs'] }, (old) => {
    if (!old?.items) return old;
    let touched = false;
    const items = old.items.map((r) => {
      const c = changes.get(r.id);
      if (!c || (c.status === r.status && c.attempt === r.attempt)) return r;
      touched = true;
      return { ...r, status: c.status, attempt: c.attempt, ...(c.reason ? { reason: c.reason } : {}) };
    });
    return touched ? { ...old, items } : old;
  });
  const groups = new Set<string>();
  for (const c of changes.values()) {
    void qc.invalidateQueries({ queryKey: ['run', c.runId] });
    if (c.groupId) groups.add(c.groupId);
  }
  for (const g of groups) void qc.invalidateQueries({ queryKey: ['group', g] });
  if (groups.size) void qc.invalidateQueries({ queryKey: ['groups'] });
  void qc.invalidateQueries({ queryKey: ['cluster'] });
  // New runs and finished filters (a run leaving 'running') change which rows a filtered page holds.
  if (listsStale) void qc.invalidateQueries({ queryKey: ['runs'] });
}

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export function useLiveUpdates(enabled: boolean): LiveState {
  const qc = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource('/api/v1/events');
    let pending = new Map<string, RunChange>();
    let listsStale = false;
    let lastListRefresh = 0;
    const flush = setInterval(() => {
      const now = Date.now();
      // Lists refetch at most once a second; rows already shown are patched at once.
      const refreshLists = listsStale && now - lastListRefresh > 1000;
      if (!pending.size && !refreshLists) return;
      apply(qc, pending, refreshLists);
      pending = new Map();
      if (refreshLists) {
        lastListRefresh = now;
        listsStale = false;
      }
    }, 250);
    source.addEventListener('open', () => setState('live'));
    source.addEventListener('error', () => setState('reconnecting'));
    source.addEventListener('run', (e) => {
      const c = JSON.parse((e as MessageEvent<string>).data) as RunChange;
      pending.set(c.runId, c);
      listsStale = true;
    });
    return () => {
      clearInterval(flush);
      source.close();
    };
  }, [enabled, qc]);
  return state;
}
