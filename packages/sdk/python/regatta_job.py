"""Report metrics and a result from inside a Regatta job. Dependency-free; copy it next to your code.

    import regatta_job
    regatta_job.metric("loss", 0.42, step=10)
    regatta_job.result({"test_accuracy": 0.93})

Posts to the API with the run's own token ($REGATTA_RUN_TOKEN); where the server cannot be reached,
appends to $REGATTA_OUTPUTS/metrics.jsonl and writes $REGATTA_OUTPUTS/result.json, which the server
reads when the run ends.
"""
import json
import os
import time
import urllib.request

__all__ = ["metric", "result"]


def _post(method, path, body):
    url, token, run_id = (os.environ.get(k) for k in ("REGATTA_API_URL", "REGATTA_RUN_TOKEN", "REGATTA_RUN_ID"))
    if not (url and token and run_id):
        return False
    req = urllib.request.Request(
        f"{url}/api/v1/runs/{run_id}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return 200 <= res.status < 300
    except Exception:  # unreachable server, refused token: fall back to files
        return False


def _outputs():
    path = os.environ.get("REGATTA_OUTPUTS", "outputs")
    os.makedirs(path, exist_ok=True)
    return path


def metric(name, value, step=None):
    """Record one metric point."""
    point = {"name": name, "value": float(value), "ts": int(time.time() * 1000)}
    if step is not None:
        point["step"] = int(step)
    if not _post("POST", "/metrics", point):
        with open(os.path.join(_outputs(), "metrics.jsonl"), "a") as f:
            f.write(json.dumps(point) + "\n")


def result(obj):
    """Set the run's result JSON (the last call wins)."""
    if not _post("PUT", "/result", obj):
        with open(os.path.join(_outputs(), "result.json"), "w") as f:
            json.dump(obj, f)
