/**
 * Object keys from a run's `artifacts.key` template: `eval-5/{params.eval_name}_{labels.team}_{item}`.
 * Each substituted value is made safe for a key (no `..`, no leading `/`); `{path}` is the artifact's
 * path, appended as `/<path>` when the template does not place it.
 */
import type { AttemptRef } from './artifact-store.js';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_.-]+)?)\}/g;

const safe = (v: string) => v.replace(/[^A-Za-z0-9._=,/@+-]/g, '_').split('/').filter((p) => p && p !== '.' && p !== '..').join('/');
const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The default layout: `<run or group>/<item>/<attempt>/<path>` (`<run>/<attempt>/<path>` for a single run). */
export const DEFAULT_KEY_TEMPLATE = '{owner}/{item}/{attempt}/{path}';

export function artifactKey(ref: AttemptRef, path: string, prefix = ''): string {
  const template = ref.keyTemplate ?? DEFAULT_KEY_TEMPLATE;
  const value = (name: string): string => {
    if (name.startsWith('params.')) return safe(text(ref.params[name.slice(7)]));
    if (name.startsWith('labels.')) return safe(text(ref.labels[name.slice(7)]));
    switch (name) {
      case 'run': return ref.runId;
      case 'group': return ref.groupId ?? ref.runId;
      case 'owner': return ref.groupId ?? ref.runId;
      case 'item': return safe(ref.itemKey ?? '');
      case 'attempt': return String(ref.attempt);
      case 'path': return path;
      default: return '';
    }
  };
  let key = template.replace(PLACEHOLDER, (_, name: string) => value(name));
  if (!template.includes('{path}')) key = `${key}/${path}`;
  key = key.split('/').filter((p) => p && p !== '.' && p !== '..').join('/');
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/${key}` : key;
}

/** The key of an attempt's archived log: under `logs/`, so it never meets an artifact's key. */
export function logKey(ref: AttemptRef, prefix = ''): string {
  return artifactKey({ ...ref, keyTemplate: `logs/${DEFAULT_KEY_TEMPLATE}` }, 'log', prefix);
}
