"""Submit and watch Regatta runs from Python: notebooks, scripts, CI. Standard library only; copy it
next to your code (Python 3.8+).

    from regatta_client import Client

    rc = Client()                        # $REGATTA_URL and $REGATTA_TOKEN (or Client(url, token))
    run = rc.submit({"command": ["python3", "train.py"], "params": {"lr": 0.01}},
                    overrides={"params": {"lr": 0.001}}, workdir=".")
    for line in rc.logs(run["id"], follow=True):
        print(line, end="")
    run = rc.wait(run["id"])             # the run's detail once it has ended
    print(run["status"], rc.result(run["id"]), rc.metrics(run["id"], name="loss")[-1])
    rc.download_artifacts(run["id"], "./out")

    sweep = rc.submit({"command": "python3 train.py --lr ${params.lr}", "matrix": {"lr": [0.1, 0.01]}})
    group = rc.wait_group(sweep["groupId"])
    print(rc.group_results(sweep["groupId"])["rows"])

    run = rc.run_template("trainer", overrides={"params": {"epochs": 20}})

Every error the server answers is raised as RegattaError with its HTTP status, detail and the fields
at fault; a run id may be given as any unique start of one, as on the command line.
"""
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

try:  # Python 3.8+: typed dictionaries for what the API answers
    from typing import TypedDict
except ImportError:  # pragma: no cover
    TypedDict = dict  # type: ignore

__all__ = ["Client", "RegattaError", "TERMINAL"]

TERMINAL = frozenset({"succeeded", "failed", "canceled", "timed_out", "lost"})
_ID_CHARS = set("0123456789abcdefghjkmnpqrstvwxyz")


class RunSummary(TypedDict, total=False):
    id: str
    name: str
    status: str
    queue: str
    priority: int
    labels: Dict[str, str]
    attempt: int
    exitCode: int
    reason: str
    groupId: str
    createdAt: str
    startedAt: str
    finishedAt: str


class MetricPoint(TypedDict, total=False):
    name: str
    value: float
    step: int
    ts: str
    attempt: int


class RegattaError(Exception):
    """An error the server answered (problem+json), or status 0 when it could not be reached."""

    def __init__(self, status: int, detail: str, errors: Optional[List[Dict[str, str]]] = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []


class Client:
    """A client of one Regatta server. Thread-safe: each call makes its own request."""

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None, timeout: float = 30.0):
        self.url = (url or os.environ.get("REGATTA_URL") or "http://127.0.0.1:8080").rstrip("/")
        self.token = token or os.environ.get("REGATTA_TOKEN")
        self.timeout = timeout

    # --- transport -----------------------------------------------------------------------
    def _open(self, method: str, path: str, body: Any = None, query: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None):
        q = {k: v for k, v in (query or {}).items() if v is not None}
        url = self.url + path + ("?" + urllib.parse.urlencode(q, doseq=True) if q else "")
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            return urllib.request.urlopen(req, timeout=self.timeout if timeout is None else timeout)
        except urllib.error.HTTPError as e:
            try:
                problem = json.loads(e.read().decode() or "{}")
            except ValueError:
                problem = {}
            raise RegattaError(e.code, problem.get("detail") or problem.get("title") or str(e), problem.get("errors")) from None
        except urllib.error.URLError as e:
            raise RegattaError(0, "cannot reach %s: %s" % (self.url, e.reason)) from None

    def _json(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        with self._open(method, path, body, query) as res:
            text = res.read().decode()
        return json.loads(text) if text else None

    # --- runs ----------------------------------------------------------------------------
    def submit(self, spec: Union[Mapping[str, Any], str, "os.PathLike[str]"], overrides: Optional[Mapping[str, Any]] = None,
               workdir: Optional[str] = None) -> Dict[str, Any]:
        """Submits a job spec: a dict, or a path to a .json (or, with PyYAML installed, .yaml) file.
        `overrides` are deep-merged into it (None deletes a field); `workdir` is made absolute here,
        as a path relative to the spec file is. Returns {"id", "status", "name"}, or for a spec with
        matrix/foreach {"groupId", "status", "name", "total"}.

        >>> rc.submit({"command": "echo hi", "resources": {"gpus": 1}})["id"]
        """
        base = os.getcwd()
        if isinstance(spec, (str, os.PathLike)):
            path = os.fspath(spec)
            base = os.path.dirname(os.path.abspath(path))
            spec = _load_spec_file(path)
        merged = _merge(dict(spec), overrides or {})
        if workdir is not None:
            merged["workdir"] = workdir
        wd = merged.get("workdir")
        if isinstance(wd, str) and not os.path.isabs(wd) and merged.get("runtime") != "docker":
            merged["workdir"] = os.path.normpath(os.path.join(base if workdir is None else os.getcwd(), wd))
        return self._json("POST", "/api/v1/runs", merged)

    def run_template(self, name: str, overrides: Optional[Mapping[str, Any]] = None, version: Optional[int] = None) -> Dict[str, Any]:
        """Runs a stored template with overrides (deep-merged; None deletes a field).

        >>> rc.run_template("trainer", {"params": {"epochs": 20}})["id"]
        """
        return self._json("POST", "/api/v1/templates/%s/runs" % urllib.parse.quote(name, safe=""), dict(overrides or {}), version=version)

    def resolve(self, run_id: str) -> str:
        """A full run id from any unique start of one (`01m7zv`, `01m7zv...`)."""
        prefix = run_id.strip().lower().rstrip(".")
        if len(prefix) == 20 or not prefix or not set(prefix) <= _ID_CHARS:
            return prefix
        # Ids are time-ordered: the runs starting with the prefix sort just below it padded with 'z'.
        cursor = prefix.ljust(20, "z")
        found = [r["id"] for r in self._json("GET", "/api/v1/runs", cursor=cursor, limit=2)["items"] if r["id"].startswith(prefix)]
        if not found:
            raise RegattaError(404, "no run id starts with %r" % prefix)
        if len(found) > 1:
            raise RegattaError(400, "%r is ambiguous: it starts %s (and maybe more)" % (prefix, ", ".join(found)))
        return found[0]

    def get(self, run_id: str) -> Dict[str, Any]:
        """A run's detail: status, exit code, reason, attempts, last metrics, result, artifacts."""
        return self._json("GET", "/api/v1/runs/" + self.resolve(run_id))

    def list_runs(self, status: Optional[str] = None, queue: Optional[str] = None, name: Optional[str] = None,
                  labels: Optional[Mapping[str, str]] = None, limit: int = 50) -> List[RunSummary]:
        """Runs, newest first, filtered like `regatta ls` (status: comma-separated)."""
        label = ["%s=%s" % kv for kv in (labels or {}).items()] or None
        return self._json("GET", "/api/v1/runs", status=status, queue=queue, name=name, label=label, limit=limit)["items"]

    def wait(self, run_id: str, timeout: Optional[float] = None, poll: float = 1.0) -> Dict[str, Any]:
        """Waits until the run has ended and returns its detail; raises TimeoutError after `timeout` s."""
        run_id = self.resolve(run_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = self.get(run_id)
            if run["status"] in TERMINAL:
                return run
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("run %s is still %s after %ss" % (run_id, run["status"], timeout))
            time.sleep(poll)

    def cancel(self, run_id: str) -> Dict[str, Any]:
        """Cancels a run (SIGTERM, then SIGKILL after the grace period); returns {"id", "status"}."""
        return self._json("POST", "/api/v1/runs/%s/cancel" % self.resolve(run_id))

    def logs(self, run_id: str, follow: bool = False, attempt: Optional[int] = None, service: Optional[str] = None) -> Iterator[str]:
        """The run's log line by line; with follow=True it keeps streaming until the run ends.

        >>> for line in rc.logs(run_id, follow=True): print(line, end="")
        """
        query = {"follow": "true" if follow else None, "attempt": attempt, "service": service}
        res = self._open("GET", "/api/v1/runs/%s/logs" % self.resolve(run_id), None, query, timeout=None if follow else self.timeout)
        with res:
            for raw in res:
                yield raw.decode("utf-8", "replace")

    def metrics(self, run_id: str, name: Optional[str] = None, attempt: Optional[int] = None) -> List[MetricPoint]:
        """Every metric point (optionally of one name or attempt), oldest first, each with its attempt."""
        return self._json("GET", "/api/v1/runs/%s/metrics" % self.resolve(run_id), name=name, attempt=attempt)["items"]

    def result(self, run_id: str) -> Any:
        """The run's result JSON (None when it has none)."""
        return self._json("GET", "/api/v1/runs/%s/result" % self.resolve(run_id))["result"]

    def artifacts(self, run_id: str, attempt: Optional[int] = None) -> List[Dict[str, Any]]:
        """The artifacts of the run's latest (or given) attempt: [{"path", "size"}]."""
        return self._json("GET", "/api/v1/runs/%s/artifacts" % self.resolve(run_id), attempt=attempt)["items"]

    def download_artifacts(self, run_id: str, dest: str, attempt: Optional[int] = None) -> List[str]:
        """Saves every artifact under `dest` (refusing paths that would leave it); returns the files."""
        run_id = self.resolve(run_id)
        root = os.path.realpath(dest)
        saved = []
        for a in self.artifacts(run_id, attempt):
            target = os.path.realpath(os.path.join(root, a["path"]))
            if not target.startswith(root + os.sep):
                raise RegattaError(0, "refusing artifact path %r: it leaves %s" % (a["path"], root))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            quoted = "/".join(urllib.parse.quote(p, safe="") for p in a["path"].split("/"))
            with self._open("GET", "/api/v1/runs/%s/artifacts/%s" % (run_id, quoted), query={"attempt": attempt}) as res, open(target, "wb") as f:
                while True:
                    chunk = res.read(1 << 20)
                    if not chunk:
                        break
                    f.write(chunk)
            saved.append(target)
        return saved

    # --- groups --------------------------------------------------------------------------
    def group(self, group_id: str) -> Dict[str, Any]:
        """A fan-out group: status, counts by status, ETA."""
        return self._json("GET", "/api/v1/groups/" + group_id)

    def group_runs(self, group_id: str, status: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every run of the group (all pages), each with its item and params."""
        items, cursor = [], None
        while True:
            page = self._json("GET", "/api/v1/groups/%s/runs" % group_id, status=status, cursor=cursor, limit=1000)
            items.extend(page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                return items

    def group_results(self, group_id: str, sort: Optional[str] = None, order: Optional[str] = None) -> Dict[str, Any]:
        """The group's results table: {"columns", "rows"}, one row per item with params.*, metrics.* (last values)
        and result.* columns; sort by a column, e.g. sort="metrics.loss", order="asc"."""
        return self._json("GET", "/api/v1/groups/%s/results" % group_id, sort=sort, order=order)

    def wait_group(self, group_id: str, timeout: Optional[float] = None, poll: float = 2.0) -> Dict[str, Any]:
        """Waits until every item of the group has ended; returns the group."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            g = self.group(group_id)
            if g["status"] != "running":
                return g
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("group %s is still running after %ss (%d of %d done)" % (group_id, timeout, g["done"], g["total"]))
            time.sleep(poll)

    def cancel_group(self, group_id: str) -> Dict[str, Any]:
        """Cancels every item of the group that has not ended."""
        return self._json("POST", "/api/v1/groups/%s/cancel" % group_id)


def _merge(base: Dict[str, Any], over: Mapping[str, Any]) -> Dict[str, Any]:
    for k, v in over.items():
        if v is None:
            base.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(base.get(k), Mapping):
            base[k] = _merge(dict(base[k]), v)
        else:
            base[k] = v
    return base


def _load_spec_file(path: str) -> Dict[str, Any]:
    with open(path) as f:
        text = f.read()
    if path.endswith(".json"):
        return json.loads(text)
    try:
        import yaml  # type: ignore
    except ImportError:
        try:  # JSON is YAML too
            return json.loads(text)
        except ValueError:
            raise RegattaError(0, "%s: reading YAML needs PyYAML (pip install pyyaml); or pass the spec as a dict or .json" % path) from None
    return yaml.safe_load(text)
