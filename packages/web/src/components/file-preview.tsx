/**
 * A file shown inline by its kind: images, JSON (pretty), CSV/TSV (as a table), Markdown (rendered,
 * sanitised) and text. Files are read through the API with the session cookie; big ones are not read.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { marked } from 'marked';
import DOMPurify from 'dompurify';
import { formatBytes } from '../lib/format.js';
import { parseCsv } from '../lib/csv.js';

const IMAGE: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml', bmp: 'image/bmp' };
const MAX_TEXT = 2 * 1024 * 1024;
const MAX_IMAGE = 20 * 1024 * 1024;

export type PreviewKind = 'image' | 'json' | 'csv' | 'tsv' | 'markdown' | 'text';

export function previewKind(path: string): PreviewKind {
  const name = path.split('/').pop() ?? path;
  const ext = name.includes('.') ? (name.split('.').pop() ?? '').toLowerCase() : '';
  if (IMAGE[ext]) return 'image';
  if (ext === 'json') return 'json';
  if (ext === 'csv') return 'csv';
  if (ext === 'tsv') return 'tsv';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  return 'text';
}

async function fetchFile(url: string): Promise<Blob> {
  const res = await fetch(url, { headers: { accept: '*/*' } });
  if (!res.ok) {
    const text = await res.text();
    let detail = text;
    try { detail = (JSON.parse(text) as { detail?: string }).detail ?? text; } catch { /* not a problem document */ }
    throw new Error(`${res.status}: ${detail}`);
  }
  return res.blob();
}

function ImagePreview({ blob, type, path }: { blob: Blob; type: string; path: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    const u = URL.createObjectURL(new Blob([blob], { type }));
    setSrc(u);
    return () => URL.revokeObjectURL(u);
  }, [blob, type]);
  return src ? <img className="preview-image" src={src} alt={path} data-testid="preview-image" /> : null;
}

function CsvPreview({ text, sep }: { text: string; sep: string }) {
  const rows = useMemo(() => parseCsv(text, sep, 501), [text, sep]);
  const [head, ...body] = rows;
  if (!head) return <p className="muted">Empty file.</p>;
  return (
    <div className="scroll" style={{ maxHeight: '60vh' }}>
      <table className="data" aria-label="File contents" data-testid="preview-table">
        <thead><tr>{head.map((h, i) => <th key={i} scope="col">{h}</th>)}</tr></thead>
        <tbody>{body.map((r, i) => <tr key={i}>{head.map((_, j) => <td key={j}>{r[j] ?? ''}</td>)}</tr>)}</tbody>
      </table>
      {rows.length > 500 && <p className="muted" style={{ padding: 8 }}>First 500 rows.</p>}
    </div>
  );
}

function Markdown({ text }: { text: string }) {
  // Raw HTML in the file is removed by DOMPurify: a run's output must not script the UI.
  const html = useMemo(() => DOMPurify.sanitize(marked.parse(text, { async: false })), [text]);
  return <div className="markdown" data-testid="preview-markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

export function FilePreview({ url, path, size }: { url: string; path: string; size: number }) {
  const kind = previewKind(path);
  const tooBig = size > (kind === 'image' ? MAX_IMAGE : MAX_TEXT);
  const file = useQuery({ queryKey: ['file', url], queryFn: () => fetchFile(url), enabled: !tooBig, staleTime: 60_000 });
  const text = useQuery({ queryKey: ['file-text', url, file.dataUpdatedAt], queryFn: () => (file.data ? file.data.text() : ''), enabled: Boolean(file.data) && kind !== 'image' });
  const ext = (path.split('.').pop() ?? '').toLowerCase();
  let body: ReactNode = <p className="muted">Loading…</p>;
  if (tooBig) body = <p className="muted">{formatBytes(size)}: too big to preview; download it instead.</p>;
  else if (file.error) body = <p className="error">{file.error.message}</p>;
  else if (kind === 'image' && file.data) body = <ImagePreview blob={file.data} type={IMAGE[ext] ?? 'image/png'} path={path} />;
  else if (text.data !== undefined) {
    const t = text.data;
    if (kind === 'json') {
      let pretty = t;
      try { pretty = JSON.stringify(JSON.parse(t), null, 2); } catch { /* shown as it is */ }
      body = <pre data-testid="preview-text">{pretty}</pre>;
    } else if (kind === 'csv' || kind === 'tsv') body = <CsvPreview text={t} sep={kind === 'csv' ? ',' : '\t'} />;
    else if (kind === 'markdown') body = <Markdown text={t} />;
    else if (t.slice(0, 8000).includes('\0')) body = <p className="muted">A binary file; download it to open it.</p>;
    else body = <pre data-testid="preview-text">{t}</pre>;
  }
  return (
    <section className="card preview" aria-label={`Preview of ${path}`}>
      <div className="between"><h3 className="mono">{path}</h3><a className="button" href={url} download={path.split('/').pop()}>Download</a></div>
      {body}
    </section>
  );
}
