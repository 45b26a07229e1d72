#!/usr/bin/env python3
"""The README's demo, its live part: the incident reproduced on this machine with real parts.

  - the insurance API: a small Python app on 127.0.0.1 (tests/e2e/e2e.py's upstream);
  - Debian's nginx-light in a temporary prefix (never /etc/nginx, never the system's nginx),
    proxying to it with the incident server's log_format ($upstream_addr, $upstream_status) and
    an error_log;
  - quiet traffic: one request every few seconds, like the incident server's (one every 20 s);
  - `gatewatch run --config FILE` with no sinks: what it would send is printed on its stdout
    (and its log lines on stderr, shown here as they come).

The story on the terminal: healthy traffic; the application is killed (the instance whose AMI
snapshot at 11:07 left it without its application); gatewatch's firing alert with the 502 lines
and error.log's "connect() failed (111: Connection refused)"; the application comes back; the
resolved alert with the same incident id; `gatewatch history` lists the incident.

Usage: demo.py --gatewatch PATH [--result FILE] [--keep]
  --result FILE  also write what happened as JSON (the ctest test in this folder reads it)
  --keep         keep the temporary directory (nginx's logs, the config, the state database)
Exit codes: 0 the story ran to its end; 1 something in it did not happen (the message says what);
77 nginx-light is not installed (`bash .ci/install-deps.sh --demo`).
Every process it starts is stopped when it ends, also on failure, Ctrl-C or SIGTERM. Python
standard library only.
"""
import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2e  # noqa: E402
from e2e import harness  # noqa: E402

SOURCE = "driver-insu-prod"
RULE = "upstream-down"
# One request every 4 s: 15 a minute, fewer than the consecutive rule's quiet_below (20 per 60 s
# window), so — as on the incident server — the consecutive rule is the one that judges, and the
# ratio rule never sees its min_requests (20 in 60 s).
INTERVAL_S = 4.0
# config/incident.yaml's rules with one change: a resolved alert after 10 s of healthy traffic
# instead of 120 s, so the demo ends within a minute.
RESOLVE_AFTER = "10s"
# Healthy answers before the application is killed.
HEALTHY = 3
# Bounded waits, each failing with a message naming what did not happen.
FIRE_TIMEOUT_S = 3 * INTERVAL_S + 25     # three failing requests, then the daemon's seconds
RESOLVE_TIMEOUT_S = 4 * INTERVAL_S + 30  # healthy answers spanning RESOLVE_AFTER, then the daemon
CONSOLE_WAIT_S = 3.0                     # the alert's text on stdout after its log line
WATCHDOG_S = 150                         # the whole story, before ctest's timeout
SKIP_EXIT = e2e.SKIP_EXIT

# The daemon's log line for an incident event (daemon/pipeline/pipeline.cpp):
# "<time> <level> <rule> <firing|reminder|resolved> (<incident id>): <summary>".
EVENT_RE = re.compile(r"\b([A-Za-z0-9._-]+) (firing|reminder|resolved) \(([0-9a-f]{8,64})\): (.*)$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
# The date of a log line's timestamp: the demo runs within a minute, the time of day is enough.
LOG_DATE_RE = re.compile(r"^\d{4}-\d\d-\d\d ")

# What the traffic asks for: the insurance API's sign-up flow, with the enc= tokens of customers'
# data that gatewatch masks in alerts (query_values redaction).
PATHS = ["/join/user-form?enc=%s", "/api/v1/quote?enc=%s&km=12", "/join/confirm?enc=%s"]
USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 16_1 like Mac OS X) KakaoNaviApp/4.8.5"


class Screen:
    """The terminal: one line at a time from several threads, colours only on a terminal."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.lock = threading.Lock()
        self.color = self.stream.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get(
            "TERM") != "dumb"

    def paint(self, code, text):
        return "\x1b[%sm%s\x1b[0m" % (code, text) if self.color else text

    def line(self, text=""):
        with self.lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def lines(self, texts):
        with self.lock:
            for t in texts:
                self.stream.write(t + "\n")
            self.stream.flush()

    def step(self, text):
        self.line("")
        self.line(self.paint("1;36", "── %s  %s" % (clock(), text)))

    def say(self, text):
        self.line(self.paint("36", "   " + text))


def clock():
    return time.strftime("%H:%M:%S")


class Traffic(threading.Thread):
    """One GET every INTERVAL_S through nginx, each answer printed and recorded (time, status)."""

    def __init__(self, screen, port):
        super().__init__(daemon=True)
        self.screen = screen
        self.port = port
        self.answers = []
        self.cond = threading.Condition()
        self.stop_flag = threading.Event()

    def run(self):
        k = 0
        t0 = time.monotonic()
        while not self.stop_flag.is_set():
            path = PATHS[k % len(PATHS)] % secrets.token_urlsafe(9)
            k += 1
            t = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", path, headers={"User-Agent": USER_AGENT})
                r = conn.getresponse()
                r.read()
                conn.close()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                status = -1
                path += " (%s)" % type(e).__name__
            ms = (time.monotonic() - t) * 1000
            with self.cond:
                self.answers.append((time.monotonic(), status))
                self.cond.notify_all()
            code = "32" if status == 200 else "31"
            self.screen.line("   %s  GET %-44s → %s %s" % (
                clock(), path, self.screen.paint(code, str(status)), self.screen.paint("2", "(%.0f ms)" % ms)))
            self.stop_flag.wait(max(0.0, t0 + k * INTERVAL_S - time.monotonic()))

    def wait_count(self, status, since, n, timeout, what):
        harness.wait_until(lambda: self.count(status, since) >= n, timeout, what, cond=self.cond)

    def count(self, status, since):
        with self.cond:
            return sum(1 for t, s in self.answers if t >= since and s == status)

    def first(self, status, since):
        with self.cond:
            return next((t for t, s in self.answers if t >= since and s == status), None)

    def stop(self):
        self.stop_flag.set()
        self.join(timeout=15)


class Daemon:
    """`gatewatch run --config FILE`: stdout (alerts as text, when there are no sinks) and stderr
    (log lines) each read by a thread, shown on the screen and kept."""

    def __init__(self, procs, screen, binary, config, listen):
        self.screen = screen
        self.binary = binary
        self.config = config
        self.host, port = listen.rsplit(":", 1)
        self.port = int(port)
        self.stdout = []      # (monotonic time, lines) of each alert printed on stdout
        self.log = []         # stderr lines
        self.events = []      # (monotonic time, rule, event, id, summary) from the log
        self.cond = threading.Condition()
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)  # log to stderr, not to the journal
        env.pop("NOTIFY_SOCKET", None)
        self.proc = procs.spawn([binary, "run", "--config", config], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.threads = [threading.Thread(target=self._read, args=(self.proc.stdout, False), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, True), daemon=True)]
        for t in self.threads:
            t.start()

    def _read(self, stream, is_log):
        if is_log:
            for raw in iter(stream.readline, b""):
                text = ANSI_RE.sub("", raw.decode(errors="replace").rstrip("\n"))
                with self.cond:
                    self.log.append(text)
                    m = EVENT_RE.search(text)
                    if m:
                        self.events.append((time.monotonic(), m.group(1), m.group(2), m.group(3), m.group(4)))
                    self.cond.notify_all()
                self.screen.line(self.screen.paint("2;33", "   gatewatch log │ ") + LOG_DATE_RE.sub("", text))
        else:
            # An alert on stdout is a block of lines ending with an empty one: shown whole, so no
            # other line lands in the middle of it.
            block = []
            for raw in iter(stream.readline, b""):
                text = raw.decode(errors="replace").rstrip("\n")
                block.append(text)
                if text == "":
                    self._block(block)
                    block = []
            if block:
                self._block(block)
        with self.cond:  # end of output: waiters see the exit at once
            self.cond.notify_all()

    def _block(self, block):
        with self.cond:
            self.stdout.append((time.monotonic(), block))
            self.cond.notify_all()
        self.screen.lines([self.screen.paint("1;35", "   gatewatch     │ ") + ln for ln in block])

    def get(self, path):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")
        finally:
            conn.close()

    def wait_ready(self, timeout=e2e.START_S):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("`gatewatch run` exited with %s before it was ready; its log:\n%s" % (
                    self.proc.returncode, "\n".join(self.log[-30:])))
            try:
                return self.get("/healthz")[0] == 200
            except OSError:
                return False
        harness.wait_until(ready, timeout, "gatewatch's /healthz to answer 200", poll=0.05)

    def wait_event(self, rule, event, timeout, incident=None):
        """The first (time, rule, event, id, summary) logged for rule/event (and id)."""
        found = []

        def seen():
            for e in self.events:
                if e[1] == rule and e[2] == event and (incident is None or e[3] == incident):
                    found.append(e)
                    return True
            if self.proc.poll() is not None:
                raise AssertionError("gatewatch exited with %s" % self.proc.returncode)
            return False

        harness.wait_until(seen, timeout, "gatewatch's %s alert of rule %s%s" % (
            event, rule, " (incident %s)" % incident if incident else ""), cond=self.cond,
            detail=lambda: "its log so far:\n%s" % "\n".join(self.log[-30:]))
        return found[0]

    def console_since(self, t):
        """Lines of the alert blocks printed on stdout at or after t."""
        with self.cond:
            return [line for when, block in self.stdout if when >= t for line in block]

    def wait_console(self, t, incident, timeout):
        """Bounded wait for the alert's text on stdout (the daemon prints it when no sink is
        configured); True when a line naming the incident arrived."""
        try:
            harness.wait_until(lambda: any(incident in line for line in self.console_since(t)),
                               timeout, "the alert on stdout", cond=self.cond)
            return True
        except harness.BarrierTimeout:
            return False

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=e2e.STOP_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        for t in self.threads:
            t.join(timeout=5)
        return code


def write_config(path, *, access_log, error_log, state_dir, listen):
    """config/incident.yaml for the demo's nginx: same source format and rules, no sinks."""
    q = e2e.yaml_str
    text = """\
# Written by tests/demo/demo.py: config/incident.yaml for the demo's own nginx, with no sinks
# (alerts are printed) and resolve_after shortened from 120s to %(resolve)s.
state_dir: %(state)s
http:
  listen: %(listen)s
sources:
  - name: %(source)s
    access_log: %(access)s
    error_log: %(error)s
    format: %(format)s
    start_at: beginning
rules:
  - name: upstream-down
    kind: consecutive
    statuses: [502, 504]
    count: 3
    within: 30m
    group_by: [source, upstream]
    severity: critical
    resolve_after: %(resolve)s
  - name: upstream-failure-rate
    kind: ratio
    statuses: [502, 503, 504]
    window: 60s
    min_requests: 20
    ratio: 0.05
    count: 10
    resolve_after: %(resolve)s
    repeat_interval: 1h
    group_by: [source]
    severity: critical
context:
  lines_before: 6
  error_lines: 20
  redact: [query_values]
""" % {"state": q(state_dir), "listen": q(listen), "source": SOURCE, "access": q(access_log),
       "error": q(error_log), "format": q(e2e.LOG_FORMAT), "resolve": RESOLVE_AFTER}
    with open(path, "w") as f:
        f.write(text)
    return path


def alert_from_history(daemon, incident):
    """The alert as recorded (GET /api/alerts/{id}): what a sink would have been sent. Shown when
    the daemon printed nothing on stdout for it (builds from before the console text)."""
    status, body = daemon.get("/api/alerts/" + incident)
    if status != 200:
        return ["(GET /api/alerts/%s answered %d)" % (incident, status)]
    j = json.loads(body)
    alert = j.get("alert") if isinstance(j.get("alert"), dict) else j
    out = []
    for key in ("summary", "started_at", "fired_at", "resolved_at"):
        value = j.get(key) or alert.get(key)
        if value:
            out.append("%-11s %s" % (key + ":", value))
    ctx = alert.get("context") or {}
    if ctx.get("access"):
        out.append("access.log, the last %d lines:" % len(ctx["access"]))
        out += ["  " + ln for ln in ctx["access"]]
    if ctx.get("error"):
        out.append("error.log, %d lines:" % len(ctx["error"]))
        out += ["  " + ln for ln in ctx["error"]]
    return out


def show_alert(screen, daemon, t, incident):
    """Waits briefly for the alert's text on stdout; without it, shows the recorded alert."""
    if daemon.wait_console(t, incident, CONSOLE_WAIT_S):
        return True
    screen.say("(this gatewatch prints no alert text without sinks; the alert as recorded in its history:)")
    screen.lines([screen.paint("1;35", "   recorded      │ ") + ln for ln in alert_from_history(daemon, incident)])
    return False


def run(binary, screen, result, keep=False):
    """The whole story; fills `result` with what happened (for --result). Raises AssertionError
    when a step did not happen."""
    d = harness.workdir("demo")
    result["ok"] = False
    try:
        with harness.Processes() as procs, harness.Watchdog(WATCHDOG_S, "the demo"):
            _story(binary, screen, d, procs, result)
        result["ok"] = True
    finally:
        if keep:
            screen.say("kept %s (nginx's logs, the config, the state database)" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)


def _story(binary, screen, d, procs, result):
    t_begin = time.monotonic()
    up = e2e.Upstream(procs).start()
    nginx = e2e.ProxyNginx(procs, os.path.join(d, "nginx"), up.port).start()
    state = harness.secure_dir(os.path.join(d, "state"))
    listen = "127.0.0.1:%d" % harness.free_port()
    config = write_config(os.path.join(d, "gatewatch.yaml"), access_log=nginx.access_log,
                          error_log=nginx.error_log, state_dir=state, listen=listen)
    screen.step("The incident, reproduced on this machine")
    screen.say("the insurance API: a small Python app on 127.0.0.1:%d" % up.port)
    screen.say("nginx-light on 127.0.0.1:%d proxying to it, in its own prefix %s" % (nginx.port, nginx.prefix))
    screen.say("  (log_format with $upstream_addr and $upstream_status, like the incident server's; error_log)")
    screen.say("gatewatch run --config %s" % config)
    screen.say("  config/incident.yaml's rules, resolve_after %s instead of 120s, no sinks:" % RESOLVE_AFTER)
    screen.say("  what it would send to Slack is printed here")
    daemon = Daemon(procs, screen, binary, config, listen)
    daemon.wait_ready()
    traffic = Traffic(screen, nginx.port)
    try:
        screen.step("Healthy traffic: a request every %.0f s (the incident server had one every 20 s)" % INTERVAL_S)
        traffic.start()
        traffic.wait_count(200, 0, HEALTHY, HEALTHY * INTERVAL_S + 20, "%d healthy answers" % HEALTHY)

        screen.step("The application dies, like after the AMI snapshot at 11:07: nginx answers 502")
        t_kill = time.monotonic()
        up.kill()
        t_fired, _, _, incident, summary = daemon.wait_event(RULE, "firing", FIRE_TIMEOUT_S)
        # The daemon read them from nginx's log, which has them before the client has its answer:
        # the 502s logged when it fired, and their answers, so the narration follows them.
        failures = logged_failures(nginx.access_log)
        traffic.wait_count(502, t_kill, failures, 5, "the answers to the %d failing requests" % failures)
        t_first = traffic.first(502, t_kill)
        result["firing"] = {"id": incident, "summary": summary, "failures_before": failures,
                            "seconds_after_first_502": round(t_fired - t_first, 2)}
        screen.say("gatewatch fired %.1f s after the first 502, on the %s (the consecutive rule: 3 in a row)" % (
            t_fired - t_first, ordinal(failures)))
        # Blocks since the kill: the printer thread may write the block before the log line
        # that wait_event saw reaches us.
        result["firing"]["console"] = show_alert(screen, daemon, t_kill, incident)

        screen.step("The application is back")
        up.start()
        t_up = time.monotonic()
        t_resolved, _, _, _, rsummary = daemon.wait_event(RULE, "resolved", RESOLVE_TIMEOUT_S, incident)
        result["resolved"] = {"id": incident, "summary": rsummary,
                              "seconds_after_back": round(t_resolved - t_up, 2)}
        screen.say("resolved %.1f s after the application came back (%s of healthy traffic), same incident %s" % (
            t_resolved - t_up, RESOLVE_AFTER, incident))
        result["resolved"]["console"] = show_alert(screen, daemon, t_up, incident)
    finally:
        traffic.stop()

    screen.step("gatewatch history --config %s" % config)
    hist = subprocess.run([binary, "history", "--config", config], capture_output=True, text=True, timeout=30)
    screen.lines(["   " + ln for ln in hist.stdout.rstrip("\n").splitlines()])
    if hist.returncode != 0:
        raise AssertionError("gatewatch history exited with %d: %s" % (hist.returncode, hist.stderr))
    hjson = subprocess.run([binary, "history", "--config", config, "--json"], capture_output=True, text=True,
                           timeout=30)
    result["history_text"] = hist.stdout
    result["history"] = json.loads(hjson.stdout) if hjson.returncode == 0 else None
    screen.say("(while the daemon runs, the same is at http://%s/api/alerts and on the history page http://%s/)" % (
        listen, listen))

    code = daemon.stop()
    nginx.stop()
    result["exit_code"] = code
    result["console"] = [line for _, block in daemon.stdout for line in block]
    result["log"] = daemon.log
    result["seconds"] = round(time.monotonic() - t_begin, 1)
    if code != 0:
        raise AssertionError("gatewatch run exited with %s on SIGTERM (0 expected)" % code)
    screen.say("everything stopped (gatewatch exited %d on SIGTERM); the live part took %.0f s" % (
        code, result["seconds"]))


def logged_failures(access_log):
    """502 lines nginx has written (before the upstream was killed there were none)."""
    with open(access_log, "rb") as f:
        return sum(1 for ln in f if b'" 502 ' in ln)


def interrupted(_sig, _frame):
    raise SystemExit("interrupted")


def missing_tools():
    """nginx (nginx-light) and start-stop-daemon (dpkg; harness.Nginx wants it), each with its
    package; empty when both are there."""
    out = []
    for name, package in (("nginx", "nginx-light"), ("start-stop-daemon", "dpkg")):
        if not (shutil.which(name) or any(os.access(p + name, os.X_OK) for p in ("/usr/sbin/", "/sbin/"))):
            out.append("%s (apt-get install %s)" % (name, package))
    return out


def ordinal(n):
    return "%d%s" % (n, {1: "st", 2: "nd", 3: "rd"}.get(n if n < 20 else n % 10, "th"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gatewatch", required=True, help="the gatewatch binary")
    ap.add_argument("--result", help="write what happened to this file as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    # SIGTERM and Ctrl-C (also when started in the background, where SIGINT is ignored) unwind
    # through the cleanup: every process started is stopped.
    harness.term_as_exception()
    signal.signal(signal.SIGINT, interrupted)
    missing = missing_tools()
    if missing:
        print("demo: the live part needs %s — `bash .ci/install-deps.sh --demo` installs it" % ", ".join(missing),
              file=sys.stderr)
        return SKIP_EXIT
    screen = Screen()
    result = {"ok": False}
    try:
        run(os.path.abspath(args.gatewatch), screen, result, keep=args.keep)
        return 0
    except (AssertionError, TimeoutError) as e:
        result["error"] = str(e)
        print("demo: %s" % e, file=sys.stderr)
        return 1
    finally:
        if args.result:
            with open(args.result, "w") as f:
                json.dump(result, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
