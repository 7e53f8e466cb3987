"""Report metrics, events and a result from inside a Regatta job. Dependency-free; copy it next to your code.

    import regatta_job
    regatta_job.metric("loss", 0.42, step=10)              # a few microseconds: never waits for the server
    regatta_job.metrics({"loss": 0.42, "acc": 0.9}, step=10)
    regatta_job.event("ALERT vessel 228946000 off its lane")  # a line in the run's timeline
    regatta_job.result({"test_accuracy": 0.93})             # sent now (bounded wait), else result.json

metric(), metrics() and event() only append to a buffer in memory. A background thread sends the
buffer every half second (or as soon as 1,000 reports wait) in one request per kind, over one kept-alive
connection, with the run's own token ($REGATTA_RUN_TOKEN). Every report carries an id, so the server
stores it once however often it arrives.

When the server cannot be reached (refused, hung, 5xx), what waits is appended to
$REGATTA_OUTPUTS/metrics.jsonl and events.jsonl, which the server reads when the attempt ends, and is
sent again with backoff (0.25 s doubling to 30 s) until the server answers: events raised during an
outage reach the timeline when it is over, or at the latest when the attempt ends. At exit the buffer
is flushed for at most 5 s (flush() does it on demand); what is still unconfirmed then is in the files.
Values that are not finite (NaN, inf) are skipped with one warning on stderr: JSON cannot carry them.
"""
import atexit
import collections
import http.client
import itertools
import json
import math
import os
import sys
import threading
import time
import urllib.parse

__all__ = ["metric", "metrics", "event", "result", "flush"]

FLUSH_INTERVAL_S = 0.5
BATCH_SIZE = 1000
REQUEST_TIMEOUT_S = 3.0
EXIT_FLUSH_S = 5.0
MAX_BACKOFF_S = 30.0
# Beyond this many unconfirmed reports, the oldest live only in the spool files (read at attempt end).
MAX_BACKLOG = 200_000


def _outputs():
    path = os.environ.get("REGATTA_OUTPUTS", "outputs")
    os.makedirs(path, exist_ok=True)
    return path


class _Permanent(Exception):
    """The server refused the reports for good (bad token, attempt over): retrying cannot help."""


class _Reporter:
    def __init__(self):
        env = os.environ
        self.url, self.token, self.run_id = env.get("REGATTA_API_URL"), env.get("REGATTA_RUN_TOKEN"), env.get("REGATTA_RUN_ID")
        self.prefix = "a%s-%s-" % (env.get("REGATTA_ATTEMPT", "0"), os.urandom(5).hex())
        self.seq = itertools.count()
        self.incoming = collections.deque()  # (kind, report, set): appended by the job's threads
        # [kind, report, spooled, set]: taken from incoming, not yet confirmed. The reports of one call
        # share a set and are sent in the same request, so a reader sees all of them or none.
        self.backlog = []
        self.lock = threading.Lock()  # guards backlog and the spool files
        self.wake = threading.Event()
        self.idle = threading.Event()
        self.failures = 0
        self.next_try = 0.0
        self.conn = None
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, name="regatta-reporter", daemon=True)
        self.thread.start()

    def add(self, kind, report, set_id=None):
        n = next(self.seq)
        report["id"] = self.prefix + str(n)
        self.incoming.append((kind, report, n if set_id is None else set_id))
        if len(self.incoming) >= BATCH_SIZE:
            self.wake.set()

    # --- the background thread -------------------------------------------------------------
    def _loop(self):
        while True:
            self.wake.wait(FLUSH_INTERVAL_S)
            self.wake.clear()
            self._cycle()
            if self.stopping:
                return

    def _drain(self):
        with self.lock:
            while self.incoming:
                kind, report, set_id = self.incoming.popleft()
                self.backlog.append([kind, report, False, set_id])
            if len(self.backlog) > MAX_BACKLOG:
                self._spool(self.backlog)
                del self.backlog[: len(self.backlog) - MAX_BACKLOG]

    def _cycle(self):
        self._drain()
        if not self.backlog:
            self.idle.set()
            return
        self.idle.clear()
        if time.monotonic() < self.next_try:
            with self.lock:
                self._spool(self.backlog)  # an outage: keep what arrives safe on disk meanwhile
            return
        while True:
            with self.lock:
                end = min(BATCH_SIZE, len(self.backlog))
                while end < len(self.backlog) and self.backlog[end][3] == self.backlog[end - 1][3]:
                    end += 1
                chunk = self.backlog[:end]
            if not chunk:
                self.idle.set()
                return
            try:
                self._send(chunk)
                self.failures = 0
            except _Permanent:  # the files are the record; the server reads them at attempt end
                with self.lock:
                    self._spool(chunk)
            except Exception:  # refused, hung, 5xx: back off, keep it on disk, try again later
                self.failures += 1
                self.next_try = time.monotonic() + min(MAX_BACKOFF_S, 0.25 * 2 ** (self.failures - 1))
                with self.lock:
                    self._spool(self.backlog)
                return
            with self.lock:
                sent = {id(entry) for entry in chunk}
                self.backlog = [entry for entry in self.backlog if id(entry) not in sent]

    def _send(self, chunk):
        if not (self.url and self.token and self.run_id):
            raise _Permanent("not inside a Regatta job")
        for kind, path in (("m", "/metrics"), ("e", "/events")):
            items = [entry[1] for entry in chunk if entry[0] == kind]
            if items:
                self._post(path, {"metrics": items} if kind == "m" else {"events": items})

    def _post(self, path, body):
        parts = urllib.parse.urlsplit(self.url)
        if self.conn is None:
            cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            self.conn = cls(parts.netloc, timeout=REQUEST_TIMEOUT_S)
        data = json.dumps(body, allow_nan=False).encode()
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        try:
            self.conn.request("POST", "%s/api/v1/runs/%s%s" % (parts.path.rstrip("/"), self.run_id, path), data, headers)
            res = self.conn.getresponse()
            res.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        if res.status >= 500 or res.status in (408, 429):
            raise OSError("server answered %d" % res.status)
        if res.status >= 300:
            raise _Permanent("server refused the reports: %d" % res.status)

    def _spool(self, entries):
        """Appends the entries not yet on disk to the spool files (the caller holds the lock)."""
        lines = {"m": [], "e": []}
        for entry in entries:
            if not entry[2]:
                lines[entry[0]].append(json.dumps(entry[1], allow_nan=False) + "\n")
                entry[2] = True
        for kind, name in (("m", "metrics.jsonl"), ("e", "events.jsonl")):
            if lines[kind]:
                try:
                    with open(os.path.join(_outputs(), name), "a") as f:
                        f.writelines(lines[kind])
                except OSError as e:
                    print("regatta_job: cannot spool reports to %s: %s" % (name, e), file=sys.stderr)

    # --- the job's side ----------------------------------------------------------------------
    def flush(self, timeout):
        """Waits until everything reported so far is confirmed or spooled, for at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        self.idle.clear()
        self.wake.set()
        while time.monotonic() < deadline and self.thread.is_alive():
            if self.idle.wait(min(0.05, max(0.0, deadline - time.monotonic()))) and not self.incoming:
                with self.lock:
                    if not self.backlog:
                        return True
            if time.monotonic() < self.next_try:
                break  # in an outage: do not wait for the next try
            self.wake.set()
        self._drain()
        with self.lock:
            self._spool(self.backlog)
        return False

    def close(self):
        self.flush(EXIT_FLUSH_S)
        self.stopping = True
        self.wake.set()


_reporter = None
_reporter_lock = threading.Lock()
_warned_nan = False


def _get():
    global _reporter
    if _reporter is None:
        with _reporter_lock:
            if _reporter is None:
                _reporter = _Reporter()
                atexit.register(_reporter.close)
    return _reporter


def _forget_after_fork():
    # A forked child (a DataLoader worker) has no reporter thread: it starts its own on first use.
    global _reporter, _reporter_lock
    _reporter, _reporter_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _finite(name, value):
    global _warned_nan
    value = float(value)
    if math.isfinite(value):
        return value
    if not _warned_nan:
        _warned_nan = True
        print("regatta_job: skipping metric %r = %r (not finite); later ones are skipped silently" % (name, value), file=sys.stderr)
    return None


def metric(name, value, step=None):
    """Records one metric point; returns at once (the point is sent in the background).

    >>> metric("loss", 0.42, step=10)
    """
    value = _finite(name, value)
    if value is None:
        return
    point = {"name": name, "value": value, "ts": int(time.time() * 1000)}
    if step is not None:
        point["step"] = int(step)
    _get().add("m", point)


def metrics(values, step=None):
    """Records several metrics with the same step and time, sent in one request (a reader sees the
    whole set or none of it), e.g. metrics({"loss": 0.4, "acc": 0.9}, step=3)."""
    ts = int(time.time() * 1000)
    reporter = _get()
    set_id = "s%d" % next(reporter.seq)
    for name, value in values.items():
        value = _finite(name, value)
        if value is None:
            continue
        point = {"name": name, "value": value, "ts": ts}
        if step is not None:
            point["step"] = int(step)
        reporter.add("m", point, set_id)


def event(message):
    """Adds a line to the run's timeline (`regatta show`): an alert, a milestone. Returns at once."""
    _get().add("e", {"message": str(message)[:2000] or "(empty)", "ts": int(time.time() * 1000)})


def flush(timeout=EXIT_FLUSH_S):
    """Sends what is buffered now; returns True once nothing waits (the server confirmed it, or refused
    it for good and it is in the spool files), False if some of it is only in the spool files after
    `timeout` seconds (it is still retried in the background)."""
    return _get().flush(timeout)


def result(obj):
    """Sets the run's result JSON (the last call wins). Waits at most a few seconds for the server;
    where it cannot be reached, writes $REGATTA_OUTPUTS/result.json, which the server reads at the end."""
    env = os.environ
    url, token, run_id = env.get("REGATTA_API_URL"), env.get("REGATTA_RUN_TOKEN"), env.get("REGATTA_RUN_ID")
    if url and token and run_id:
        parts = urllib.parse.urlsplit(url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = cls(parts.netloc, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request("PUT", "%s/api/v1/runs/%s/result" % (parts.path.rstrip("/"), run_id), json.dumps(obj),
                         {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            if 200 <= conn.getresponse().status < 300:
                return
        except Exception:  # unreachable or hung: fall back to the file
            pass
        finally:
            conn.close()
    with open(os.path.join(_outputs(), "result.json"), "w") as f:
        json.dump(obj, f)
