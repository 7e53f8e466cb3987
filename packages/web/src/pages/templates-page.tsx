/** Templates: the list, versions, files, and a run form checked against the job spec schema. */
import { useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { TemplateView } from '@regatta/sdk/client';
import { ApiError, api, errorText } from '../api.js';
import { formatBytes, formatTime } from '../lib/format.js';
import { checkValue, readInput, schemaAt, setPath, type SchemaNode } from '../lib/schema-check.js';
import { useTitle } from '../lib/use-title.js';
import { FilePreview } from '../components/file-preview.js';

export function TemplatesPage() {
  const list = useQuery({ queryKey: ['templates'], queryFn: () => api.listTemplates() });
  useTitle('Templates');
  return (
    <>
      <h1>Templates</h1>
      {list.error && <p className="error">{errorText(list.error)}</p>}
      <table className="data" aria-label="Templates" style={{ marginTop: 12 }}>
        <thead><tr><th scope="col">Name</th><th scope="col">Latest version</th><th scope="col">Files</th><th scope="col">Pushed</th></tr></thead>
        <tbody>
          {list.data?.items.map((t) => (
            <tr key={t.name}>
              <td><Link to={`/templates/${encodeURIComponent(t.name)}`}>{t.name}</Link></td>
              <td>v{t.version}</td>
              <td>{t.files ? 'yes' : '—'}</td>
              <td>{formatTime(t.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && !list.data.items.length && <p className="muted">No templates yet: <code>regatta template push NAME -f spec.yaml --file …</code></p>}
    </>
  );
}

/** The fields the form offers besides params, by their path in the spec. */
const FIELDS = [
  { path: 'queue', label: 'Queue' },
  { path: 'priority', label: 'Priority' },
  { path: 'resources.cpus', label: 'CPUs' },
  { path: 'resources.memory', label: 'Memory' },
  { path: 'resources.gpus', label: 'GPUs' },
  { path: 'timeout', label: 'Timeout' },
] as const;

function valueAt(spec: Record<string, unknown>, path: string): unknown {
  let v: unknown = spec;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

const show = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function RunForm({ template }: { template: TemplateView }) {
  const navigate = useNavigate();
  const schema = useQuery({ queryKey: ['job-spec-schema'], queryFn: () => api.jobSpecSchema() as Promise<SchemaNode>, staleTime: Infinity });
  const params = useMemo(() => {
    const p = template.spec.params;
    return p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
  }, [template]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [extra, setExtra] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const run = useMutation({
    mutationFn: (overrides: Record<string, unknown>) => api.runTemplate(template.name, overrides, template.version),
    onSuccess: (s) => void navigate('id' in s ? `/runs/${s.id}` : `/groups/${s.groupId}`),
    onError: (e) => {
      if (e instanceof ApiError && e.problem.errors) setErrors(Object.fromEntries(e.problem.errors.map((i) => [i.path.replace(/^body\.?/, ''), i.message])));
    },
  });

  const fieldSchema = (path: string) => schemaAt(schema.data, path);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const overrides: Record<string, unknown> = {};
    const found: Record<string, string> = {};
    for (const [path, raw] of Object.entries(values)) {
      if (raw.trim() === '') continue;
      const isParam = path.startsWith('params.');
      const want = isParam ? undefined : fieldSchema(path);
      const value = readInput(raw, want, isParam ? params[path.slice('params.'.length)] : undefined);
      const problem = isParam ? (typeof params[path.slice(7)] === 'number' && typeof value !== 'number' ? 'expected a number' : undefined) : checkValue(want, value);
      if (problem) found[path] = problem;
      setPath(overrides, path, value);
    }
    if (extra.trim()) {
      try {
        const more: unknown = parseYaml(extra);
        if (!more || typeof more !== 'object' || Array.isArray(more)) throw new Error('expected a mapping');
        Object.assign(overrides, more);
      } catch (err) {
        found.overrides = `not YAML/JSON: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    setErrors(found);
    if (!Object.keys(found).length) run.mutate(overrides);
  };

  const field = (path: string, label: string, placeholder: string, type: 'text' | 'number') => {
    const s = path.startsWith('params.') ? undefined : fieldSchema(path);
    const id = `f-${path.replace(/\W/g, '-')}`;
    return (
      <label key={path} htmlFor={id}>
        {label}
        <input
          id={id}
          name={path}
          type={type}
          step="any"
          {...(s?.minimum !== undefined ? { min: s.minimum } : {})}
          {...(s?.maximum !== undefined ? { max: s.maximum } : {})}
          value={values[path] ?? ''}
          placeholder={placeholder}
          onChange={(e) => setValues((v) => ({ ...v, [path]: e.target.value }))}
          aria-invalid={errors[path] ? true : undefined}
          aria-describedby={errors[path] ? `${id}-err` : undefined}
          title={s?.description}
        />
        {errors[path] && <span id={`${id}-err`} className="error">{errors[path]}</span>}
      </label>
    );
  };

  const general = Object.entries(errors).filter(([p]) => !p.startsWith('params.') && !FIELDS.some((f) => f.path === p));
  return (
    <form onSubmit={submit} aria-label="Run this template" className="card" noValidate>
      <h2 style={{ marginTop: 0 }}>Run v{template.version}</h2>
      {Object.keys(params).length > 0 && (
        <fieldset className="row" style={{ border: 0, padding: 0 }}>
          <legend>Params</legend>
          {Object.entries(params).map(([k, v]) => field(`params.${k}`, k, show(v), typeof v === 'number' ? 'number' : 'text'))}
        </fieldset>
      )}
      <fieldset className="row" style={{ border: 0, padding: 0, marginTop: 8 }}>
        <legend>Overrides</legend>
        {FIELDS.map((f) => {
          const s = fieldSchema(f.path);
          const numeric = [s?.type ?? []].flat().every((t) => t === 'number' || t === 'integer') && s?.type !== undefined;
          return field(f.path, f.label, show(valueAt(template.spec, f.path)) || 'default', numeric ? 'number' : 'text');
        })}
      </fieldset>
      <label style={{ display: 'flex', marginTop: 8 }}>
        More overrides (YAML or JSON, deep-merged; null deletes)
        <textarea rows={4} value={extra} onChange={(e) => setExtra(e.target.value)} placeholder={'env: {DEBUG: "1"}\nlabels: {team: vision}'} />
      </label>
      {general.map(([p, m]) => <p key={p} className="error" role="alert">{p ? `${p}: ` : ''}{m}</p>)}
      {run.error && <p className="error" role="alert">{errorText(run.error)}</p>}
      <button className="primary" type="submit" disabled={run.isPending} style={{ marginTop: 8 }}>Run</button>
    </form>
  );
}

export function TemplatePage() {
  const { name = '' } = useParams();
  const [version, setVersion] = useState<number>();
  const [file, setFile] = useState<string>();
  const t = useQuery({ queryKey: ['template', name, version ?? null], queryFn: () => api.getTemplate(name, version) });
  const files = useQuery({ queryKey: ['template', name, version ?? null, 'files'], queryFn: () => api.templateFiles(name, version) });
  useTitle(`${name} (template)`);
  if (t.error) return <p className="error" role="alert">{errorText(t.error)}</p>;
  if (!t.data) return <p className="muted">Loading…</p>;
  return (
    <>
      <div className="between">
        <h1>{t.data.name} <span className="muted">v{t.data.version}</span></h1>
        <div className="row">
          <label>Version
            <select value={t.data.version} onChange={(e) => setVersion(Number(e.target.value))}>
              {t.data.versions.map((v) => <option key={v.version} value={v.version}>v{v.version} · {formatTime(v.createdAt)}</option>)}
            </select>
          </label>
          <Link className="button" to={`/?template=${encodeURIComponent(t.data.name)}`}>Runs</Link>
        </div>
      </div>
      <div className="split" style={{ marginTop: 12 }}>
        <RunForm key={t.data.version} template={t.data} />
        <section style={{ minWidth: 0 }}>
          <h2 style={{ marginTop: 0 }}>Spec</h2>
          <pre>{toYaml(t.data.spec)}</pre>
          <h2>Files</h2>
          {files.data?.items.length ? (
            <table className="data" aria-label="Files">
              <tbody>
                {files.data.items.map((f) => (
                  <tr key={f.path} className={file === f.path ? 'picked' : undefined}>
                    <td><button type="button" className="link mono" aria-pressed={file === f.path} onClick={() => setFile(f.path)}>{f.path}</button></td>
                    <td>{formatBytes(f.size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : <p className="muted">{files.isPending ? 'Loading…' : 'No files.'}</p>}
          {(() => {
            const f = files.data?.items.find((x) => x.path === file);
            const url = f && `/api/v1/templates/${encodeURIComponent(t.data.name)}/files/${f.path.split('/').map(encodeURIComponent).join('/')}?version=${t.data.version}`;
            return f && url ? <FilePreview key={url} url={url} path={f.path} size={f.size} /> : null;
          })()}
        </section>
      </div>
    </>
  );
}
