#!/usr/bin/env python3
"""The pieces of the daemon's process tests: `gatewatch run` as a real process on 127.0.0.1.

  - access_line() / append(): nginx `combined` lines stamped with the current time, appended with
    one write(2) per batch (O_APPEND), as nginx writes them.
  - write_config(): a gatewatch config written by the test (sources, rules, sinks as dicts).
  - Daemon: one `gatewatch run` process — its stderr (the log) and stdout (alerts, when the config
    has no sinks) each in a file; /healthz, /metrics and /api/alerts over HTTP; signals; a stop
    measured against the 5 s the contract allows.
  - Receiver: a loopback webhook receiver recording every POST.

Process management, bounded waits and free ports come from tests/scenarios/harness.py. Every wait
is bounded and names what it waited for; no sleep stands in for synchronisation. Python standard
library only.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scenarios"))
import harness  # noqa: E402,F401  (re-exported for the tests)

# ctest's SKIP_RETURN_CODE: the machine lacks something the scenario needs (not a gatewatch failure).
SKIP_EXIT = 77

# Bounded waits.
START_S = 30.0      # the daemon up and answering
STOP_S = 5.0        # the contract: SIGTERM → exit within 5 s
CATCH_UP_S = 20.0   # the daemon has read every line on disk
LOG_S = 20.0        # a message shows up in the daemon's log


def gatewatch_binary():
    """The binary under test, from $GW_GATEWATCH (set by CMake). Missing fails, never skips."""
    p = os.environ.get("GW_GATEWATCH", "")
    if not p or not os.access(p, os.X_OK):
        raise AssertionError("gatewatch not found at %r (GW_GATEWATCH): build the target gatewatch "
                             "(cmake --build BUILD --target gatewatch) first" % p)
    return p


# ---------------------------------------------------------------------------------------------
# Log lines.

def access_line(status, path="/api/quote", t=None, client="198.51.100.7"):
    """One nginx `combined` line, stamped with local time (the daemon compares it to its clock)."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(t if t is not None else time.time()))
    return '%s - - [%s] "GET %s HTTP/1.1" %d 157 "-" "gatewatch-daemon-test/1"\n' % (client, stamp, path, status)


def append(path, lines):
    """Appends the lines with one write(2), O_APPEND, as nginx does."""
    data = "".join(lines).encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return len(lines)


def count_lines(path):
    with open(path, "rb") as f:
        return f.read().count(b"\n")


# ---------------------------------------------------------------------------------------------
# Config.

def yaml_str(s):
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(s)


def flow(d):
    """A dict as a YAML flow mapping, values in JSON syntax."""
    return "{%s}" % ", ".join("%s: %s" % (k, json.dumps(v)) for k, v in d.items())


def source(name, access_log, error_log=None, fmt="combined", start_at="beginning"):
    s = {"name": name, "access_log": access_log, "format": fmt, "start_at": start_at}
    if error_log:
        s["error_log"] = error_log
    return s


def consecutive(name, statuses, count=3, **over):
    """A consecutive rule that judges whatever the traffic (quiet_below 0) and stays open for an
    hour (resolve_after), so a test decides when an incident ends."""
    r = {"name": name, "kind": "consecutive", "statuses": statuses, "count": count, "within": "30m",
         "window": "60s", "quiet_below": 0, "group_by": ["source"], "resolve_after": "1h"}
    r.update(over)
    return r


def marker_rule():
    """Fires once per path on a single 418: appended after other lines, its firing proves the
    daemon has read and judged everything before it (lines of one file are handled in order)."""
    return consecutive("marker", [418], count=1, group_by=["path"])


def write_config(path, *, state_dir, listen, sources, rules=None, sinks=None, extra=""):
    lines = ["state_dir: %s" % yaml_str(state_dir),
             "http:",
             "  listen: %s" % yaml_str(listen),
             "sources:"]
    for s in sources:
        lines.append("  - " + flow(s))
    if rules is not None:
        lines.append("rules:")
        for r in rules:
            lines.append("  - " + flow(r))
    if sinks:
        lines.append("sinks:")
        for s in sinks:
            lines.append("  - " + flow(s))
    if extra:
        lines.append(extra)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------------------------------------
# Metrics.

def parse_metrics(text):
    """Prometheus text → {(name, ((label, value), ...)): float}."""
    out = {}
    for ln in text.splitlines():
        if not ln or ln.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', ln)
        if not m:
            continue
        labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or "")))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def metric(metrics, name, **labels):
    """Sum of the series of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in metrics.items() if n == name and want <= set(ls))


# ---------------------------------------------------------------------------------------------
# The daemon.

class Daemon:
    """One `gatewatch run`: stderr (its log) to NAME.log, stdout (alerts without sinks) to NAME.out,
    or to `stdout` when given (a pipe a test wants to leave unread)."""

    def __init__(self, procs, binary, workdir, name, config=None, listen=None, env=None, wrapper=(),
                 stdout=None):
        self.procs = procs
        self.binary = binary
        self.config = config
        self.listen = listen
        self.log_path = os.path.join(workdir, name + ".log")
        self.out_path = os.path.join(workdir, name + ".out")
        self.env = dict(env or {})
        self.wrapper = list(wrapper)
        self.stdout = stdout
        self.proc = None
        self.exit_code = None
        self.stop_seconds = None

    @property
    def cmd(self):
        cmd = [self.binary, "run"]
        if self.config:
            cmd += ["--config", self.config]
        return self.wrapper + cmd

    def start(self, ready="healthz", timeout=START_S):
        """ready: "healthz" (200 on /healthz), a regex the log must show, or None."""
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)  # log to stderr, not the journal
        env.pop("NOTIFY_SOCKET", None)
        env.update(self.env)
        self.log = open(self.log_path, "ab")
        out = self.stdout if self.stdout is not None else open(self.out_path, "ab")
        self.proc = self.procs.spawn(self.cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=self.log, env=env)
        if self.stdout is None:
            out.close()  # the child has its own copy
        if ready == "healthz":
            self.wait_healthy(timeout)
        elif ready:
            self.wait_log(ready, timeout)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("`%s` exited with %s; its log:\n%s" % (
                " ".join(self.cmd), self.proc.returncode, self.log_tail()))

    # --- HTTP

    def get(self, path, timeout=5):
        host, port = self.listen.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")
        finally:
            conn.close()

    def wait_healthy(self, timeout=START_S):
        last = ["no answer"]

        def ok():
            self._check_alive()
            try:
                status, body = self.get("/healthz", timeout=2)
            except OSError as e:
                last[0] = repr(e)
                return False
            last[0] = "%d %s" % (status, body[:300])
            return status == 200

        harness.wait_until(ok, timeout, "gatewatch's /healthz to answer 200", poll=0.05,
                           detail=lambda: "last answer: %s; log:\n%s" % (last[0], self.log_tail()))

    def metrics_text(self):
        status, body = self.get("/metrics")
        if status != 200:
            raise AssertionError("/metrics answered %d: %s" % (status, body[:300]))
        return body

    def metrics(self):
        return parse_metrics(self.metrics_text())

    def parsed(self, source=None, m=None):
        m = m if m is not None else self.metrics()
        if source:
            return metric(m, "gatewatch_lines_total", source=source, result="parsed")
        return metric(m, "gatewatch_lines_total", result="parsed")

    def wait_metric(self, pred, what, timeout=CATCH_UP_S):
        """Waits until pred(metrics) holds; returns those metrics."""
        seen = {}

        def ok():
            self._check_alive()
            seen["m"] = self.metrics()
            return pred(seen["m"])

        harness.wait_until(ok, timeout, what, poll=0.05,
                           detail=lambda: "metrics: %s; log:\n%s" % (
                               brief_metrics(seen.get("m", {})), self.log_tail()))
        return seen["m"]

    def wait_parsed(self, n, source=None, timeout=CATCH_UP_S):
        return self.wait_metric(lambda m: self.parsed(source, m) >= n,
                                "%d lines parsed%s" % (n, " of source " + source if source else ""), timeout)

    def alerts(self, query=""):
        status, body = self.get("/api/alerts" + query)
        if status != 200:
            raise AssertionError("/api/alerts answered %d: %s" % (status, body[:300]))
        return json.loads(body)["alerts"]

    # --- the log

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def wait_log(self, pattern, timeout=LOG_S, start=0):
        """Waits for a log line matching `pattern` (a regex) at or after character `start`."""
        rx = re.compile(pattern)
        found = []

        def ok():
            m = rx.search(self.log_text(), start)
            if m:
                found.append(m)
                return True
            self._check_alive()
            return False

        harness.wait_until(ok, timeout, "the log to show /%s/" % pattern, poll=0.05,
                           detail=lambda: "log:\n%s" % self.log_tail())
        return found[0]

    def log_mark(self):
        """The current end of the log: wait_log(..., start=mark) looks only at what comes later."""
        return len(self.log_text())

    def out_text(self):
        try:
            with open(self.out_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    # --- signals

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_S):
        """Sends sig; waits at most `timeout` (then kills; exit_code stays None)."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.exit_code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.exit_code = None
        self.stop_seconds = time.monotonic() - t0
        self.log.close()
        return self.exit_code


def brief_metrics(m):
    """The series a failure report needs, not the whole exposition."""
    keep = ("gatewatch_lines_total", "gatewatch_alerts_total", "gatewatch_config_reloads_total",
            "gatewatch_open_incidents", "gatewatch_source_readable")
    return {("%s%s" % (n, dict(ls))): v for (n, ls), v in m.items() if n in keep}


# ---------------------------------------------------------------------------------------------
# A webhook receiver.

class Receiver:
    """Loopback receiver: 200 to every POST, each JSON body recorded."""

    def __init__(self):
        self.posts = []
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                with outer.cond:
                    try:
                        outer.posts.append(json.loads(body))
                    except ValueError:
                        outer.posts.append({"unparsed": body[:200].decode(errors="replace")})
                    outer.cond.notify_all()

            def log_message(self, *_args):
                pass

        http.server.ThreadingHTTPServer.daemon_threads = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, pred, what, timeout=CATCH_UP_S):
        found = []

        def ok():
            for p in self.posts:
                if pred(p):
                    found.append(p)
                    return True
            return False

        harness.wait_until(ok, timeout, what, cond=self.cond, detail=lambda: "posts: %s" % self.posts)
        return found[0]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------------
# Test plumbing.

class Workdir:
    """A fresh directory per test, removed afterwards unless GW_KEEP=1 (then printed)."""

    def __init__(self, name):
        self.path = harness.workdir("daemon-" + name)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        if os.environ.get("GW_KEEP"):
            print("kept %s" % self.path, flush=True)
        else:
            shutil.rmtree(self.path, ignore_errors=True)
        return False
