#!/usr/bin/env node
// `npm run demo`: start Regatta on the embedded default (SQLite in ./.regatta, runs as local
// processes), run examples/hello with live logs, show the result, then keep serving.
// `--exit` (or CI=true) stops the server after the job instead.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages/cli/bin/regatta.js');
const port = process.env.REGATTA_PORT ?? '8080';
const url = `http://127.0.0.1:${port}`;
const token = process.env.REGATTA_TOKEN ?? `demo_${randomBytes(18).toString('base64url')}`;
const env = { ...process.env, REGATTA_URL: url, REGATTA_TOKEN: token };
const exitAfter = process.argv.includes('--exit') || process.env.CI === 'true';

const server = spawn(process.execPath, [cli, 'server', '--data', process.env.REGATTA_DATA ?? join(root, '.regatta'), '--port', port, '--log-level', 'warn'], { env, stdio: 'inherit' });
server.on('exit', (code) => {
  if (code) process.exit(code);
});

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/api/v1/health`)).ok) break;
  } catch {
    if (i > 200) throw new Error(`the server did not answer on ${url}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const regatta = (...args) => spawnSync(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
console.log('\n$ regatta run -f examples/hello/job.yaml --follow');
const run = spawnSync(process.execPath, [cli, 'run', '-f', join(root, 'examples/hello/job.yaml'), '--follow'], { env, stdio: 'inherit' });
const id = JSON.parse(regatta('ls', '--limit', '1', '--json').stdout || '{"items":[]}').items[0]?.id;
if (id) {
  console.log(`\n$ regatta show ${id}`);
  process.stdout.write(regatta('show', id).stdout);
}

if (exitAfter) {
  server.kill('SIGTERM');
  server.once('exit', () => process.exit(run.status ?? 1));
} else {
  console.log(`\nRegatta is running at ${url}: open it in a browser and sign in with the token below. In another terminal:\n  export REGATTA_URL=${url} REGATTA_TOKEN=${token}\n  npx regatta ls\nCtrl-C stops the server.`);
  process.on('SIGINT', () => server.kill('SIGTERM'));
}
