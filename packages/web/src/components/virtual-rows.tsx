/**
 * Virtualised rows for a real <table> (so screen readers and keyboard users keep table semantics):
 * only the rows in view are rendered, with spacer rows standing for the rest.
 */
import type { ReactNode, RefObject } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';

export function VirtualRows({ count, scroller, rowHeight, columns, row }: {
  count: number;
  scroller: RefObject<HTMLElement | null>;
  rowHeight: number;
  columns: number;
  row: (index: number) => ReactNode;
}) {
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan: 15 });
  const items = virtualizer.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  const spacer = (h: number) => <tr aria-hidden="true"><td colSpan={columns} style={{ height: h, padding: 0, border: 0 }} /></tr>;
  return (
    <tbody>
      {padTop > 0 && spacer(padTop)}
      {items.map((v) => row(v.index))}
      {padBottom > 0 && spacer(padBottom)}
    </tbody>
  );
}
