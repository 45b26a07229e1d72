#!/usr/bin/env python3
"""The pieces of the end-to-end incident: real processes on 127.0.0.1, driven from Python.

  - Upstream: the application behind nginx, a small http.server answering 200 (its own process,
    `e2e.py upstream --port P`, so a test can kill it with SIGKILL and start it again on the port).
  - ProxyNginx: Debian's nginx-light (tests/scenarios/harness.py's Nginx) proxying to the upstream,
    with a log_format carrying $request_time, $upstream_addr and $upstream_status.
  - WebhookReceiver: a loopback http.server recording every POST (arrival time, headers, JSON).
  - Traffic: paced clients (keep-alive connections) recording every answer's status and time.
  - Gatewatch: `gatewatch run --config FILE` with a config written by the test, its /metrics read
    over HTTP, stopped with SIGTERM within the 5 s its contract allows.

The follower tests' harness (tests/scenarios/harness.py) provides process management, nginx in a
prefix, logrotate with Debian's nginx settings and bounded waits; this module only adds what the
daemon's scenario needs on top of it. Python standard library only.
"""
import collections
import gzip
import hashlib
import hmac
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
import harness  # noqa: E402

# ctest's SKIP_RETURN_CODE: the machine lacks a tool the scenario needs (not a failure of gatewatch).
SKIP_EXIT = 77

# The incident server's log_format (config/incident.yaml): combined plus the request time and the
# upstream fields, so gatewatch can tell the upstream failing from nginx's own answers.
LOG_FORMAT = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
              '"$http_referer" "$http_user_agent" $request_time '
              'upstream=$upstream_addr upstream_status=$upstream_status '
              'upstream_time=$upstream_response_time')

# What nginx writes to error.log when the upstream's port is closed.
REFUSED = "connect() failed (111: Connection refused)"

# The paths the traffic cycles through: the insurance API's sign-up flow and a few others.
PATHS = ["/join/user-form", "/join/user-form?ride=42&plan=daily", "/api/quote?km=12", "/join/confirm",
         "/static/app.js"]

# Bounded waits: each names what it waits for when it runs out.
START_S = 30.0          # a process up and answering
STOP_S = 5.0            # gatewatch's contract: SIGTERM → exit within 5 s
CATCH_UP_S = 20.0       # the daemon has read every line on disk


def missing_tools():
    """The tools the scenario needs from Debian, each with its package; empty when all are there."""
    need = [("nginx", "nginx-light"), ("logrotate", "logrotate"), ("start-stop-daemon", "dpkg")]
    out = []
    for name, package in need:
        if not (shutil.which(name) or any(os.access(p + name, os.X_OK) for p in ("/usr/sbin/", "/sbin/"))):
            out.append("%s (apt-get install %s)" % (name, package))
    return out


def skip_unless_tools():
    """Exits with SKIP_EXIT and a message when nginx or logrotate are missing."""
    missing = missing_tools()
    if missing:
        print("SKIP: the end-to-end scenario needs %s" % ", ".join(missing), flush=True)
        sys.exit(SKIP_EXIT)


def gatewatch_binary():
    """The binary under test: $GW_GATEWATCH. Missing fails (not skips): CI cannot go green without it."""
    p = os.environ.get("GW_GATEWATCH", "")
    if not p or not os.access(p, os.X_OK):
        raise AssertionError("gatewatch not found at %r (GW_GATEWATCH): build the target gatewatch "
                             "(cmake --build BUILD --target gatewatch) first" % p)
    return p


# ---------------------------------------------------------------------------------------------
# The upstream application.

class _AppHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b'{"ok":true}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def upstream_main(argv):
    """`e2e.py upstream --port P`: serves until killed; prints READY once listening."""
    port = int(argv[argv.index("--port") + 1])
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    http.server.ThreadingHTTPServer.daemon_threads = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), _AppHandler)
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    srv.serve_forever()
    return 0


class Upstream:
    """The application behind nginx: started, killed (SIGKILL, like an instance that did not come
    back) and started again on the same port."""

    def __init__(self, procs, port=None):
        self.procs = procs
        self.port = port or harness.free_port()
        self.proc = None

    def start(self):
        last = b""
        for _ in range(20):  # the port may still be held for a moment after a kill
            p = self.procs.spawn([sys.executable, os.path.abspath(__file__), "upstream", "--port", str(self.port)],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            first = p.stdout.readline()
            if first.startswith(b"READY"):
                self.proc = p
                return self
            p.wait()
            last = p.stderr.read()
            time.sleep(0.1)
        raise AssertionError("the upstream did not start on 127.0.0.1:%d: %s" % (self.port, last.decode()[-500:]))

    def kill(self):
        self.proc.kill()
        self.proc.wait()


# ---------------------------------------------------------------------------------------------
# nginx as a reverse proxy.

class ProxyNginx(harness.Nginx):
    """harness.Nginx with a proxy to the upstream and the upstream-aware log_format."""

    def __init__(self, procs, prefix, upstream_port):
        super().__init__(procs, prefix)
        self.upstream_port = upstream_port
        self.error_log = os.path.join(self.logs, "error.log")

    def config(self, port):
        p = self.prefix
        return """%(user)s
worker_processes 2;
daemon off;
master_process on;
pid %(p)s/nginx.pid;
error_log %(p)s/logs/error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path %(p)s/tmp/client_body;
    proxy_temp_path %(p)s/tmp/proxy;
    fastcgi_temp_path %(p)s/tmp/fastcgi;
    uwsgi_temp_path %(p)s/tmp/uwsgi;
    scgi_temp_path %(p)s/tmp/scgi;
    log_format gw '%(fmt)s';
    access_log %(p)s/logs/access.log gw;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:%(port)d;
        location / {
            proxy_pass http://127.0.0.1:%(up)d;
            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
        }
    }
}
""" % {"p": p, "port": port, "up": self.upstream_port, "fmt": LOG_FORMAT,
       "user": "user www-data;" if self.as_root else ""}

    def logrotate(self, workdir):
        """Real logrotate with Debian's /etc/logrotate.d/nginx stanza for this prefix's logs."""
        conf = harness.debian_nginx_logrotate_conf(self.logs, self.conf, self.pidfile,
                                                   os.path.join(workdir, "httpd-prerotate"), self.as_root)
        return harness.LogRotate(workdir, conf)

    def access_files(self):
        return sorted(f for f in os.listdir(self.logs) if f.startswith("access.log"))

    def logged_requests(self):
        """Lines nginx wrote to the access log: access.log, access.log.1 and the .gz ones."""
        return count_lines([os.path.join(self.logs, f) for f in self.access_files()])


def count_lines(paths):
    total = 0
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                total += b.count(b"\n")
    return total


# ---------------------------------------------------------------------------------------------
# The webhook receiver.

class Post:
    __slots__ = ("t", "path", "headers", "body", "json")

    def __init__(self, t, path, headers, body):
        self.t = t
        self.path = path
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body)
        except ValueError:
            self.json = None

    def __repr__(self):
        j = self.json or {}
        return "<POST %s %s %s id=%s>" % (self.path, j.get("event"), j.get("rule"), j.get("id"))


class WebhookReceiver:
    """Loopback receiver: answers 200 to every POST and records its arrival (time.monotonic()),
    headers and JSON body."""

    def __init__(self):
        self.posts = []
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                t = time.monotonic()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                with outer.cond:
                    outer.posts.append(Post(t, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    outer.cond.notify_all()

            def log_message(self, *_args):
                pass

        http.server.ThreadingHTTPServer.daemon_threads = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, event=None):
        with self.cond:
            return [p for p in self.posts if p.json and (event is None or p.json.get("event") == event)]

    def wait_event(self, pred, what, timeout):
        """Waits for a POST whose JSON satisfies pred; returns the first one."""
        found = []

        def check():
            for p in self.posts:
                if p.json is not None and pred(p.json):
                    found.append(p)
                    return True
            return False

        harness.wait_until(check, timeout, what, cond=self.cond,
                           detail=lambda: "posts so far: %s" % self.posts)
        return found[0]

    def wait_count(self, event, n, what, timeout):
        """Waits until n POSTs of this event have arrived; returns the n-th."""
        harness.wait_until(lambda: len(self.events(event)) >= n, timeout, what, cond=self.cond,
                           detail=lambda: "posts so far: %s" % self.posts)
        return self.events(event)[n - 1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# Traffic.

class Traffic:
    """`rate` requests/s through nginx from `connections` keep-alive connections, each paced on its
    own schedule. Every answer is recorded as (monotonic time of the answer, status).
    pause() returns once no request is in flight: the log then holds every request sent."""

    def __init__(self, port, rate, connections=1):
        self.port = port
        self.rate = float(rate)
        self.n = connections
        self.lock = threading.Lock()
        self.answers = []      # (t, status); status -1: the request failed at the client
        self.errors = collections.Counter()
        self.stop_flag = False
        self.paused = threading.Event()
        self.idle = [threading.Event() for _ in range(connections)]
        self.resumed = threading.Condition()
        self.epoch = 0
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(connections)]
        self.t0 = time.monotonic()
        for t in self.threads:
            t.start()

    def _run(self, i):
        conn = None
        k = 0
        epoch = self.epoch
        t0 = self.t0
        period = self.n / self.rate
        while not self.stop_flag:
            if self.paused.is_set():
                self.idle[i].set()
                with self.resumed:
                    self.resumed.wait_for(lambda: not self.paused.is_set() or self.stop_flag)
                self.idle[i].clear()
                continue
            if epoch != self.epoch:  # resumed: a fresh schedule from the resume
                epoch, t0, k = self.epoch, self.t0, 0
            due = t0 + (i / self.rate) + k * period
            now = time.monotonic()
            if due > now:
                time.sleep(min(due - now, 0.05))
                continue
            k += 1
            path = PATHS[(k * self.n + i) % len(PATHS)]
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                conn.request("GET", path, headers={"User-Agent": "gatewatch-e2e/1"})
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                status = -1
                self.errors[type(e).__name__] += 1
                if conn is not None:
                    conn.close()
                conn = None
            with self.lock:
                self.answers.append((time.monotonic(), status))
        self.idle[i].set()
        if conn is not None:
            conn.close()

    def pause(self, timeout=30):
        self.paused.set()
        for ev in self.idle:
            if not ev.wait(timeout):
                raise harness.BarrierTimeout("traffic did not pause within %d s" % timeout)

    def resume(self):
        with self.resumed:
            self.t0 = time.monotonic()
            self.epoch += 1
            self.paused.clear()
            self.resumed.notify_all()

    def stop(self):
        self.stop_flag = True
        self.paused.clear()
        with self.resumed:
            self.resumed.notify_all()
        for t in self.threads:
            t.join(timeout=20)

    def count(self, status=None, since=0.0):
        with self.lock:
            return sum(1 for t, s in self.answers if t >= since and (status is None or s == status))

    def nth(self, status, since, n=1):
        """Time of the n-th answer with this status at or after `since`, or None."""
        seen = 0
        with self.lock:
            for t, s in self.answers:
                if t >= since and s == status:
                    seen += 1
                    if seen == n:
                        return t
        return None

    def wait_count(self, status, since, n, timeout, what):
        harness.wait_until(lambda: self.count(status, since) >= n, timeout, what, poll=0.02,
                           detail=lambda: "answers since: %s" % self.breakdown(since))

    def breakdown(self, since=0.0):
        with self.lock:
            return dict(collections.Counter(s for t, s in self.answers if t >= since))


# ---------------------------------------------------------------------------------------------
# gatewatch run.

def yaml_str(s):
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(s)


# The webhook sink's URL is a secret: the config names this variable (url_env), as in production.
WEBHOOK_URL_ENV = "GATEWATCH_WEBHOOK_URL"


def write_config(path, *, source, access_log, error_log, state_dir, listen, secret_env, rules,
                 start_at="beginning", fmt=LOG_FORMAT, extra=""):
    """A gatewatch config: one source, the given rules (a list of dicts; None: the built-in
    defaults), one webhook sink whose URL is read from $GATEWATCH_WEBHOOK_URL."""
    lines = ["state_dir: %s" % yaml_str(state_dir),
             "http:",
             "  listen: %s" % yaml_str(listen),
             "sources:",
             "  - name: %s" % source,
             "    access_log: %s" % yaml_str(access_log)]
    if error_log:
        lines.append("    error_log: %s" % yaml_str(error_log))
    lines += ["    format: %s" % yaml_str(fmt),
              "    start_at: %s" % start_at]
    if rules is not None:
        lines.append("rules:")
        for r in rules:
            lines.append("  - {%s}" % ", ".join("%s: %s" % (k, json.dumps(v)) for k, v in r.items()))
    lines += ["sinks:",
              "  - name: hook",
              "    type: webhook",
              "    url_env: %s" % WEBHOOK_URL_ENV]
    if secret_env:
        lines.append("    secret_env: %s" % secret_env)
    lines.append(extra)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


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


class Gatewatch:
    """One `gatewatch run` process; its stderr goes to a file (one per run) for the report."""

    def __init__(self, procs, binary, config, listen, log_path, env=None, taskset=None, webhook_url=None):
        self.procs = procs
        self.binary = binary
        self.config = config
        self.host, port = listen.rsplit(":", 1)
        self.port = int(port)
        self.log_path = log_path
        self.env = dict(env or {})
        if webhook_url:
            self.env[WEBHOOK_URL_ENV] = webhook_url
        self.taskset = taskset
        self.proc = None
        self.exit_code = None
        self.stop_seconds = None

    def start(self, timeout=START_S):
        cmd = [self.binary, "run", "--config", self.config]
        if self.taskset is not None:
            cmd = ["taskset", "-c", str(self.taskset)] + cmd
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)  # log to stderr, not the journal
        env.pop("NOTIFY_SOCKET", None)
        env.update(self.env or {})
        self.log = open(self.log_path, "ab")
        self.proc = self.procs.spawn(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=env)
        self.wait_healthy(timeout)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def get(self, path, timeout=5):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")
        finally:
            conn.close()

    def wait_healthy(self, timeout):
        last = ["no answer"]

        def ok():
            if self.proc.poll() is not None:
                self.log.close()
                raise AssertionError("`%s` exited with %s before it was ready; its output:\n%s" % (
                    " ".join(self.proc.gw_cmd), self.proc.returncode, self.log_tail()))
            try:
                status, body = self.get("/healthz", timeout=2)
            except OSError as e:
                last[0] = repr(e)
                return False
            last[0] = "%d %s" % (status, body[:300])
            return status == 200

        harness.wait_until(ok, timeout, "gatewatch's /healthz to answer 200", poll=0.05,
                           detail=lambda: "last answer: %s; log:\n%s" % (last[0], self.log_tail()))

    def metrics(self):
        status, body = self.get("/metrics")
        if status != 200:
            raise AssertionError("/metrics answered %d: %s" % (status, body[:300]))
        return parse_metrics(body)

    def parsed(self, m=None):
        return metric(m or self.metrics(), "gatewatch_lines_total", result="parsed")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_S):
        """Sends sig; waits at most `timeout` (then kills, and exit_code stays None)."""
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

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def log_lines(self, levels=("warning", "error", "critical")):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            return []
        return [ln for ln in text.splitlines() if any(" %s " % lv in ln for lv in levels)]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "upstream":
        sys.exit(upstream_main(sys.argv[2:]))
    print("usage: e2e.py upstream --port PORT", file=sys.stderr)
    sys.exit(2)
