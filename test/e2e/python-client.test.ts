/**
 * The stdlib-only Python client (packages/sdk/python/regatta_client.py) as a person uses it from a
 * script: real python3 against a real server, with the admin token from the environment.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TOKEN, startTestServer, tempDir, type TestServer } from '../helpers.js';

let t: TestServer;
let dir: string;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 4 } });
  dir = tempDir('regatta-pyclient-');
});
afterAll(async () => {
  await t.close();
});

function python(script: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(file, `import sys; sys.path.insert(0, ${JSON.stringify(join(ROOT, 'packages/sdk/python'))})\n${script}`);
  return new Promise((resolve) => {
    execFile('python3', [file], { cwd: dir, env: { ...process.env, REGATTA_URL: t.url, REGATTA_TOKEN: TOKEN, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('regatta_client.py', () => {
  it('submits a spec file with overrides, streams logs, waits, reads metrics, result and artifacts', async () => {
    mkdirSync(join(dir, 'proj'), { recursive: true });
    writeFileSync(join(dir, 'proj', 'train.py'), [
      'import sys; sys.path.insert(0, sys.argv[2])',
      'import regatta_job as r',
      'for i in range(3): r.metric("loss", 1.0 / (i + 1), step=i)',
      'print("lr", sys.argv[1], flush=True)',
      'open(__import__("os").environ["REGATTA_OUTPUTS"] + "/model.txt", "w").write("weights")',
      'r.result({"accuracy": 0.9})',
    ].join('\n'));
    writeFileSync(join(dir, 'proj', 'job.yaml'), `command: ["python3", "train.py", "\${params.lr}", ${JSON.stringify(join(ROOT, 'packages/sdk/python'))}]\nworkdir: .\nparams: {lr: 0.1}\n`);
    const r = await python(`
import json
from regatta_client import Client
rc = Client()
sub = rc.submit("proj/job.yaml", overrides={"params": {"lr": 0.001}, "labels": {"via": "python"}})
lines = list(rc.logs(sub["id"], follow=True))
run = rc.wait(sub["id"], timeout=60, poll=0.2)
saved = rc.download_artifacts(sub["id"][:15], "out")
print(json.dumps({"id": sub["id"], "name": sub["name"], "lines": lines, "status": run["status"], "labels": run["labels"],
  "loss": [(p["step"], p["value"], p["attempt"]) for p in rc.metrics(sub["id"], name="loss")],
  "result": rc.result(sub["id"]), "saved": [s.split("/out/")[1] for s in saved], "model": open("out/model.txt").read(),
  "listed": [x["id"] for x in rc.list_runs(labels={"via": "python"})]}))
`);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      name: 'train', lines: ['lr 0.001\n'], status: 'succeeded', labels: { via: 'python' },
      loss: [[0, 1, 1], [1, 0.5, 1], [2, 1 / 3, 1]], result: { accuracy: 0.9 }, saved: ['model.txt'], model: 'weights',
    });
    expect(out.listed).toEqual([out.id]);
    expect((await t.api.getRun(String(out.id))).resolved).toMatchObject({ workdir: join(dir, 'proj') });
  });

  it('raises RegattaError naming the field, runs a template, fans out a group and reads its results, cancels', async () => {
    await t.api.pushTemplate('py-tpl', { spec: { command: 'echo "epochs=${params.epochs}"', params: { epochs: 1 } } });
    const r = await python(`
import json
from regatta_client import Client, RegattaError
rc = Client()
try:
    rc.submit({"command": "true", "resources": {"gpus": -1}})
except RegattaError as e:
    bad = {"status": e.status, "errors": e.errors}
tpl = rc.run_template("py-tpl", {"params": {"epochs": 7}})
tpl_log = "".join(rc.logs(tpl["id"], follow=True))
g = rc.submit({"command": "echo '{\\"name\\":\\"score\\",\\"value\\":'$((\${params.x} * 2))'}' >> $REGATTA_OUTPUTS/metrics.jsonl", "matrix": {"x": [1, 2, 3]}})
done = rc.wait_group(g["groupId"], timeout=60, poll=0.2)
res = rc.group_results(g["groupId"], sort="params.x")
long = rc.submit({"command": "sleep 60"})
rc.cancel(long["id"])
ended = rc.wait(long["id"], timeout=30, poll=0.2)
try:
    Client(token="wrong").get(long["id"])
except RegattaError as e:
    unauth = e.status
print(json.dumps({"bad": bad, "tpl_log": tpl_log, "group": [done["status"], done["total"], len(rc.group_runs(g["groupId"]))],
  "rows": [(row.get("params.x"), row.get("metrics.score")) for row in res["rows"]], "canceled": ended["status"], "unauth": unauth}))
`);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.bad).toMatchObject({ status: 400, errors: [{ path: 'resources.gpus' }] });
    expect(out).toMatchObject({ tpl_log: 'epochs=7\n', group: ['succeeded', 3, 3], canceled: 'canceled', unauth: 401 });
    expect(out.rows).toEqual([[1, 2], [2, 4], [3, 6]]);
  });

  it('says clearly when the server cannot be reached', async () => {
    const r = await python(`
from regatta_client import Client, RegattaError
try:
    Client("http://127.0.0.1:9").list_runs()
except RegattaError as e:
    print(e.status, e)
`);
    expect(r.stdout).toMatch(/^0 cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(readFileSync(join(ROOT, 'packages/sdk/python/regatta_client.py'), 'utf8')).not.toMatch(/^import (requests|yaml)/m);
  });
});
