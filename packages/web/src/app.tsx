/** The shell: sign-in gate, navigation, live updates and the pages. */
import { Suspense, lazy, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { NavLink, Route, Routes } from 'react-router';
import { api, errorText, isUnauthorized } from './api.js';
import { useLiveUpdates } from './live.js';
import { RunsPage } from './pages/runs-page.js';
import { useTitle } from './lib/use-title.js';

// Pages past the first load on demand: charts and YAML are not needed to list runs.
const RunPage = lazy(() => import('./pages/run-page.js').then((m) => ({ default: m.RunPage })));
const GroupPage = lazy(() => import('./pages/group-page.js').then((m) => ({ default: m.GroupPage })));
const GroupsPage = lazy(() => import('./pages/group-page.js').then((m) => ({ default: m.GroupsPage })));
const ComparePage = lazy(() => import('./pages/compare-page.js').then((m) => ({ default: m.ComparePage })));
const TemplatePage = lazy(() => import('./pages/templates-page.js').then((m) => ({ default: m.TemplatePage })));
const TemplatesPage = lazy(() => import('./pages/templates-page.js').then((m) => ({ default: m.TemplatesPage })));
const ClusterPage = lazy(() => import('./pages/cluster-page.js').then((m) => ({ default: m.ClusterPage })));

function SignIn() {
  const qc = useQueryClient();
  const [token, setToken] = useState('');
  useTitle('Sign in');
  const signIn = useMutation({
    mutationFn: (t: string) => api.signIn(t),
    onSuccess: () => qc.invalidateQueries(),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate(token.trim());
  };
  return (
    <main className="signin">
      <div className="card">
        <h1>Sign in to Regatta</h1>
        <p className="muted">
          Paste your personal API token (from <code>regatta users add</code> or <code>regatta tokens create</code>; the first admin&apos;s is the one the server printed at first start, or REGATTA_TOKEN).
        </p>
        <form onSubmit={submit}>
          <label>
            API token
            <input type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} required autoFocus name="token" />
          </label>
          <button className="primary" type="submit" disabled={signIn.isPending || !token.trim()}>Sign in</button>
          {signIn.error && <p className="error" role="alert">{errorText(signIn.error)}</p>}
        </form>
      </div>
    </main>
  );
}

const NAV = [
  { to: '/', label: 'Runs', end: true },
  { to: '/groups', label: 'Groups' },
  { to: '/compare', label: 'Compare' },
  { to: '/templates', label: 'Templates' },
  { to: '/cluster', label: 'Queues & nodes' },
];

export function App() {
  const qc = useQueryClient();
  const session = useQuery({ queryKey: ['session'], queryFn: () => api.session(), staleTime: 60_000 });
  const signedIn = session.isSuccess;
  const live = useLiveUpdates(signedIn);
  const signOut = useMutation({ mutationFn: () => api.signOut(), onSuccess: () => qc.resetQueries() });
  if (session.isPending) return <p className="muted" style={{ padding: 16 }}>Loading…</p>;
  if (session.error) {
    if (isUnauthorized(session.error)) return <SignIn />;
    return <p className="error" role="alert" style={{ padding: 16 }}>{errorText(session.error)}</p>;
  }
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          <svg width="18" height="18" viewBox="0 0 16 16" aria-hidden="true" style={{ verticalAlign: '-3px', marginRight: 6 }}>
            <path d="M2 12h12l-2 3H4z M8 1v10 M8 2l5 8H8" fill="currentColor" stroke="currentColor" />
          </svg>
          Regatta
        </NavLink>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <NavLink key={n.to} to={n.to} end={n.end ?? false}>{n.label}</NavLink>
          ))}
        </nav>
        <span className="spacer" />
        {session.data.user && (
          <span className="whoami" data-testid="whoami" title={`Signed in as ${session.data.user} (${session.data.role ?? ''})`}>
            Signed in as <strong>{session.data.user}</strong> <span className="muted">{session.data.role}</span>
          </span>
        )}
        <span className="live" data-state={live} role="status">{live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>
        <button type="button" onClick={() => signOut.mutate()}>Sign out</button>
      </header>
      <main id="main">
        <Suspense fallback={<p className="muted">Loading…</p>}>
        <Routes>
          <Route path="/" element={<RunsPage />} />
          <Route path="/runs/:id" element={<RunPage />} />
          <Route path="/groups" element={<GroupsPage />} />
          <Route path="/groups/:id" element={<GroupPage />} />
          <Route path="/compare" element={<ComparePage />} />
          <Route path="/templates" element={<TemplatesPage />} />
          <Route path="/templates/:name" element={<TemplatePage />} />
          <Route path="/cluster" element={<ClusterPage />} />
          <Route path="*" element={<p>Nothing here. <NavLink to="/">Back to runs</NavLink></p>} />
        </Routes>
        </Suspense>
      </main>
    </div>
  );
}
