#!/usr/bin/env python3
"""`gatewatch run` as a process: reload, stop, environment problems, /metrics, the embedded default
and alerts printed on stdout. Each test starts the real binary on 127.0.0.1 (free ports, a temp
directory of its own), drives it with log lines, signals and HTTP, and stops everything it started,
also on failure.

Oracles: /metrics (lines parsed per source, alerts per rule and event, reloads), /api/alerts (the
incident history), the daemon's log (stderr) and its stdout. A "marker" rule fires once per path on
a single 418 line: appended after other lines of the same file, its firing proves that the daemon
has read and judged everything before it — the barrier used instead of sleeping.

  Reload.test_rule_changed         SIGHUP with a rule's threshold changed: the log names what was
                                   kept and what changed; every line counted once across the reload;
                                   the open incident of the unchanged rule stays open under its id
                                   and is not fired again.
  Reload.test_source_added         SIGHUP with a source added: the same, and the new source read.
  Reload.test_invalid_file         SIGHUP with a file holding four problems: FILE:LINE:COL of each in
                                   the log, the daemon up, the old rules still firing, the
                                   reload-failure counter at 1.
  Stop.test_sigterm_under_load     SIGTERM while a writer appends thousands of lines/s: exit 0 in
                                   < 5 s; a restart reads the rest: lines of both runs == written.
  Stop.test_sigterm_with_delivery_in_flight
                                   SIGTERM while the webhook hangs: exit 0 in < 5 s after a grace;
                                   the next run delivers the alert from the outbox, not composed again.
  Environment.test_status_port_in_use, test_log_directory_created_later, test_state_dir_unusable,
  test_inotify_watch_limit         a plain message each, the daemon up and following.
  Metrics.test_promtool_check      `promtool check metrics` on a live /metrics after traffic.
  Metrics.test_basic_auth          http.auth_* reach the live server: 401 without/with a wrong
                                   password, 200 with it, /healthz open; a reload dropping the keys
                                   opens it.
  Console.test_stdout_nobody_reads, test_stdout_reader_gone
                                   without sinks alerts go to stdout; a stdout nobody reads or a
                                   closed one never stops detection or a clean stop.
  Systemd.test_notify_ready_status_watchdog_reload_stop
                                   sd_notify as systemd sees it: READY=1, STATUS=, WATCHDOG=1 pings,
                                   RELOADING=1 → READY=1 on SIGHUP, STOPPING=1 on SIGTERM.
  Default.test_embedded_default    `gatewatch run` with no --config and no /etc/gatewatch file: the
                                   embedded default follows /var/log/nginx and prints its alerts
                                   (in private mount and network namespaces, so the machine's
                                   /var/log, /var/lib and port 9177 are not touched).
  Default.test_explicit_config_missing  --config naming a missing file: exit 2, the file named.

Run: GW_GATEWATCH=BUILD/gatewatch python3 test_daemon.py Reload.test_rule_changed
A test that cannot run here (no promtool, no user namespaces) exits 77: ctest's SKIP_RETURN_CODE.
GW_KEEP=1 keeps each test's directory (config, logs, state) for a look after a failure.
"""
import fcntl
import functools
import base64
import http.client
import json
import os
import re
import select
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_harness as dh  # noqa: E402
from daemon_harness import access_line, append, harness, metric  # noqa: E402

# Each test's own watchdog fires before ctest's timeout, with every process stopped.
WATCHDOG_S = 100


def scenario(fn):
    """Runs a test inside a watchdog and a process registry; on failure the message carries the
    tail of every daemon's log."""
    @functools.wraps(fn)
    def run(self):
        self.binary = dh.gatewatch_binary()
        self.daemons = []
        with dh.Workdir(fn.__name__.replace("test_", "")) as d, harness.Processes() as procs, \
                harness.Watchdog(WATCHDOG_S, fn.__name__):
            self.d, self.procs = d, procs
            try:
                fn(self)
            except unittest.SkipTest:
                raise
            except BaseException as e:
                logs = "\n".join("--- %s log (last lines):\n%s" % (os.path.basename(g.log_path), g.log_tail(40))
                                 for g in self.daemons)
                raise AssertionError("%s\n%s" % (e, logs)) from e
    return run


class DaemonTest(unittest.TestCase):
    def daemon(self, config, name=None, **kw):
        g = dh.Daemon(self.procs, self.binary, self.d, name or "gatewatch-%d" % (len(self.daemons) + 1),
                      config=config, listen=kw.pop("listen", None) or self.listen, **kw)
        self.daemons.append(g)
        return g

    def app(self, name="app"):
        """A log directory for one source: its access.log and error.log paths."""
        logs = harness.secure_dir(os.path.join(self.d, name))
        return os.path.join(logs, "access.log"), os.path.join(logs, "error.log")

    def config(self, name="gatewatch.yaml", **kw):
        kw.setdefault("state_dir", os.path.join(self.d, "state"))
        kw.setdefault("listen", self.listen)
        return dh.write_config(os.path.join(self.d, name), **kw)

    @property
    def listen(self):
        if not hasattr(self, "_listen"):
            self._listen = "127.0.0.1:%d" % harness.free_port()
        return self._listen

    def stop_cleanly(self, g):
        rc = g.stop()
        self.assertEqual(rc, 0, "SIGTERM: exit %s after %.2f s (None: still running after %.0f s)" % (
            rc, g.stop_seconds, dh.STOP_S))
        self.assertLess(g.stop_seconds, dh.STOP_S)

    def wait_marker(self, g, n, what):
        """Waits until the marker rule has fired n times: everything before the n-th marker is read."""
        return g.wait_metric(lambda m: metric(m, "gatewatch_alerts_total", rule="marker", event="firing") >= n,
                             "marker %d (%s)" % (n, what))

    @staticmethod
    def soft(problems, check, *args):
        """Runs an assertion, collecting its failure instead of stopping at it."""
        try:
            check(*args)
        except AssertionError as e:
            problems.append(str(e))

    def open_incidents(self, g, rule):
        return [a for a in g.alerts("?rule=" + rule) if a.get("resolved_at") is None]


def ratio_rule(count):
    """Never fires here (503s only, none written): its threshold is what a reload changes."""
    return {"name": "rate", "kind": "ratio", "statuses": [503], "window": "60s", "min_requests": 20,
            "count": count}


def storm(n=3, path="/api/quote"):
    return [access_line(502, path) for _ in range(n)]


def healthy(n, path="/api/quote"):
    return [access_line(200, path) for _ in range(n)]


def marker(i):
    return [access_line(418, "/marker-%d" % i)]


# ---------------------------------------------------------------------------------------------

class Reload(DaemonTest):
    @scenario
    def test_rule_changed(self):
        access, _ = self.app()
        sources = [dh.source("app", access)]
        cfg = self.config(sources=sources, rules=[dh.consecutive("down", [502]), ratio_rule(1000), dh.marker_rule()])
        written = append(access, healthy(40))
        g = self.daemon(cfg).start()
        g.wait_parsed(written)

        # An incident opens on the rule the reload leaves alone.
        written += append(access, storm())
        g.wait_metric(lambda m: metric(m, "gatewatch_alerts_total", rule="down", event="firing") >= 1,
                      "rule down to fire")
        harness.wait_until(lambda: self.open_incidents(g, "down"), dh.CATCH_UP_S, "the incident in /api/alerts")
        incident = self.open_incidents(g, "down")[0]["id"]
        written += append(access, healthy(30))
        g.wait_parsed(written)

        # Reload: only rule `rate`'s threshold differs.
        self.config(sources=sources, rules=[dh.consecutive("down", [502]), ratio_rule(999), dh.marker_rule()])
        mark = g.log_mark()
        g.hup()
        g.wait_log(r"reloaded \S+: sources kept: app; rules kept: down, marker; new or changed: rate", start=mark)

        # After it: more lines, more failures of the same incident, then the barrier.
        written += append(access, healthy(30) + storm() + marker(1))
        m = self.wait_marker(g, 1, "after the reload")
        self.assertEqual(g.parsed("app", m), written, "every line counted once across the reload")
        self.assertEqual(metric(m, "gatewatch_lines_total", result="malformed"), 0)
        self.assertEqual(metric(m, "gatewatch_config_reloads_total", result="success"), 1)
        self.assertEqual(metric(m, "gatewatch_alerts_total", rule="down", event="firing"), 1,
                         "the open incident fired again after the reload")
        down = [(a["id"], a.get("resolved_at")) for a in g.alerts("?rule=down")]
        self.assertEqual(down, [(incident, None)], "the incidents of rule down after the reload (id, resolved)")
        # No sinks: each alert also went to stdout (written by a thread of its own), once.
        harness.wait_until(lambda: "=== gatewatch FIRING · marker ·" in g.out_text(), dh.CATCH_UP_S,
                           "the marker's alert on stdout", poll=0.05)
        out = g.out_text()
        self.assertEqual(out.count("=== gatewatch FIRING · down ·"), 1, out)
        self.assertEqual(out.count("=== gatewatch FIRING · marker ·"), 1, out)
        self.stop_cleanly(g)

    @scenario
    def test_source_added(self):
        access, _ = self.app()
        b_access, _ = self.app("b")
        rules = [dh.consecutive("down", [502]), dh.marker_rule()]
        cfg = self.config(sources=[dh.source("app", access)], rules=rules)
        written = append(access, healthy(20))
        b_written = append(b_access, healthy(10, "/b"))  # there before the reload: read from its start
        g = self.daemon(cfg).start()
        g.wait_parsed(written, "app")
        written += append(access, storm())
        harness.wait_until(lambda: self.open_incidents(g, "down"), dh.CATCH_UP_S, "the incident in /api/alerts")
        incident = self.open_incidents(g, "down")[0]["id"]
        written += append(access, healthy(10))
        g.wait_parsed(written, "app")

        self.config(sources=[dh.source("app", access), dh.source("b", b_access)], rules=rules)
        mark = g.log_mark()
        g.hup()
        reloaded = g.wait_log(r"reloaded \S+: .*", start=mark).group(0)

        written += append(access, healthy(10) + storm() + marker(1))
        b_written += append(b_access, healthy(5, "/b"))
        m = self.wait_marker(g, 1, "after the reload")
        m = g.wait_parsed(b_written, "b")
        # Every way the reload went wrong, together.
        problems = []
        soft = functools.partial(self.soft, problems)
        soft(self.assertRegex, reloaded, r"sources kept: app; added: b; rules kept: down, marker$",
             "the unchanged rules were not kept")
        soft(self.assertEqual, g.parsed("app", m), written, "source app: every line counted once across the reload")
        soft(self.assertEqual, g.parsed("b", m), b_written, "source b: its lines from the start, once")
        soft(self.assertEqual, metric(m, "gatewatch_alerts_total", rule="down", event="firing"), 1,
             "the open incident fired again after the reload")
        down = [(a["id"], a.get("resolved_at")) for a in g.alerts("?rule=down")]
        soft(self.assertEqual, down, [(incident, None)], "the incidents of rule down after the reload (id, resolved)")
        soft(self.stop_cleanly, g)
        if problems:
            self.fail("%d problem(s):\n- %s" % (len(problems), "\n- ".join(problems)))

    @scenario
    def test_invalid_file(self):
        access, _ = self.app()
        rules = [dh.consecutive("down", [502]), dh.marker_rule()]
        cfg = self.config(sources=[dh.source("app", access)], rules=rules)
        written = append(access, healthy(10))
        g = self.daemon(cfg).start()
        g.wait_parsed(written)

        # Four problems; each is expected at the line and column of its token.
        text = "\n".join([
            "state_dir: %s" % json.dumps(os.path.join(self.d, "state")),
            "http:",
            "  listen: %s" % json.dumps(self.listen),
            "sources:",
            "  - name: app",
            "    access_log: %s" % json.dumps(access),
            "    start_at: beginnig",
            "rules:",
            "  - name: down",
            "    kind: consecutive",
            "    statuses: [502]",
            "    within: 30 parsecs",
            "    quiet_bellow: 0",
            "  - name: marker",
            "    kind: consecutive",
            "    statuses: [418]",
            "    count: 0",
            ""])
        lines = text.splitlines()

        def at(token, line_prefix):
            for i, ln in enumerate(lines):
                if ln.lstrip().startswith(line_prefix):
                    return "%s:%d:%d:" % (cfg, i + 1, ln.index(token) + 1)
            raise AssertionError(token)

        expected = {"start_at": at("beginnig", "start_at:"), "within": at("30 parsecs", "within:"),
                    "quiet_bellow": at("quiet_bellow", "quiet_bellow:"), "count": at("0", "count:")}
        with open(cfg, "w") as f:
            f.write(text)
        mark = g.log_mark()
        g.hup()
        g.wait_log(r"reload refused: \S+ has 4 problem\(s\); the running config stays in force", start=mark)
        log = g.log_text()[mark:]
        for what, where in expected.items():
            self.assertIn(where, log, "the problem with %s, expected at %s" % (what, where))
        self.assertIn("did you mean", log.lower(), "quiet_bellow: no suggestion")

        # Still up, on the old config: the rule `down` as it was (3 × 502) fires.
        status, _ = g.get("/healthz")
        self.assertEqual(status, 200)
        written += append(access, storm())
        m = g.wait_metric(lambda m: metric(m, "gatewatch_alerts_total", rule="down", event="firing") >= 1,
                          "rule down (old config) to fire on a new failure storm")
        self.assertEqual(metric(m, "gatewatch_config_reloads_total", result="failure"), 1)
        self.assertEqual(metric(m, "gatewatch_config_reloads_total", result="success"), 0)
        self.assertEqual(g.parsed("app", m), written)
        self.stop_cleanly(g)


# ---------------------------------------------------------------------------------------------

class Writer:
    """A thread appending access lines at `rate` lines/s (batches of `batch`, one write(2) each,
    paced on a fixed schedule) until stop(); `written` counts every line on disk."""

    def __init__(self, path, rate=5000, batch=50):
        self.path = path
        self.rate = rate
        self.batch = batch
        self.written = 0
        self.stop_flag = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            t0 = time.monotonic()
            stamp_t, block = None, None
            while not self.stop_flag.is_set():
                due = t0 + self.written / self.rate
                now = time.monotonic()
                if due > now:
                    self.stop_flag.wait(due - now)
                    continue
                sec = int(time.time())
                if sec != stamp_t:  # the same bytes for a second: the writer costs little
                    stamp_t, block = sec, "".join(healthy(self.batch, "/load")).encode()
                os.write(fd, block)
                self.written += self.batch
            os.close(fd)
        except BaseException as e:  # reported by stop()
            self.error = e

    def stop(self):
        self.stop_flag.set()
        self.thread.join(timeout=10)
        if self.error:
            raise AssertionError("the writer failed: %r" % self.error)
        return self.written


def lines_before(path, offset):
    with open(path, "rb") as f:
        return f.read(offset).count(b"\n")


class Stop(DaemonTest):
    @scenario
    def test_sigterm_under_load(self):
        access, _ = self.app()
        state = os.path.join(self.d, "state")
        cfg = self.config(sources=[dh.source("app", access)], rules=[dh.marker_rule()], state_dir=state)
        open(access, "w").close()
        g1 = self.daemon(cfg).start()
        writer = Writer(access)
        try:
            g1.wait_parsed(5000, timeout=30)
            # Not right after the status snapshot that showed it (once a second): lines keep coming.
            seen = writer.written
            harness.wait_until(lambda: writer.written >= seen + 500, 10, "500 more lines written")
            self.assertTrue(writer.thread.is_alive())
            before = writer.written
            self.stop_cleanly(g1)
            self.assertGreater(writer.written, before, "the writer did not write during the stop")
        finally:
            written = writer.stop()
        self.assertEqual(dh.count_lines(access), written)

        # What run 1 read, by its own account at exit, and by its committed checkpoint.
        m = re.search(r"stopped; checkpoints committed \(source app (\d+) parsed, (\d+) malformed\)", g1.log_text())
        self.assertIsNotNone(m, "run 1's last words")
        read1 = int(m.group(1))
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "gatewatch.db"), uri=True)
        try:
            rows = db.execute("SELECT offset FROM checkpoints WHERE source = 'app/access_log'").fetchall()
        finally:
            db.close()
        self.assertEqual(len(rows), 1, rows)
        committed = lines_before(access, rows[0][0])
        self.assertLess(read1, written, "run 1 read everything: the stop was not under load")

        # Run 2 reads the rest, from the checkpoint, nothing twice.
        g2 = self.daemon(cfg).start()
        written += append(access, marker(1))
        m2 = self.wait_marker(g2, 1, "run 2 has read to the end")
        read2 = g2.parsed("app", m2)
        self.assertEqual(read2, written - committed, "run 2 did not resume at run 1's checkpoint")
        self.assertEqual(read1, committed, "run 1 counted %d lines but committed a checkpoint after %d"
                         % (read1, committed))
        self.assertEqual(read1 + read2, written, "lines read by both runs (%d + %d) != lines written"
                         % (read1, read2))
        print("SIGTERM under load: exit after %.2f s; %d lines written, run 1 read %d, run 2 read %d"
              % (g1.stop_seconds, written, read1, read2), flush=True)
        self.stop_cleanly(g2)


    @scenario
    def test_sigterm_with_delivery_in_flight(self):
        # The webhook's address accepts connections (the kernel's backlog) but never answers: the
        # firing alert's request hangs. SIGTERM gives it a short grace, then leaves it in the outbox;
        # the next run delivers it — the same incident, not composed again.
        access, _ = self.app()
        state = os.path.join(self.d, "state")
        tarpit = socket.socket()
        tarpit.bind(("127.0.0.1", 0))
        tarpit.listen(8)
        receiver = dh.Receiver()
        try:
            cfg = self.config(sources=[dh.source("app", access)], rules=[dh.consecutive("down", [502])],
                              state_dir=state, sinks=[{"name": "hook", "type": "webhook", "url_env": "GW_TEST_HOOK"}])
            written = append(access, healthy(5))
            g1 = self.daemon(cfg, env={"GW_TEST_HOOK": "http://127.0.0.1:%d/hook" % tarpit.getsockname()[1]}).start()
            written += append(access, storm())
            g1.wait_metric(lambda m: metric(m, "gatewatch_alerts_total", rule="down", event="firing") == 1,
                           "rule down to fire")
            harness.wait_until(lambda: select.select([tarpit], [], [], 0)[0], dh.CATCH_UP_S,
                               "the delivery's connection to the webhook", poll=0.05)
            self.stop_cleanly(g1)
            self.assertGreaterEqual(g1.stop_seconds, 1.0, "no grace for the delivery in flight")

            g2 = self.daemon(cfg, env={"GW_TEST_HOOK": receiver.url}).start()
            firing = receiver.wait(lambda p: p.get("event") == "firing", "the firing alert from the outbox")
            self.assertEqual(firing.get("rule"), "down")
            m = g2.metrics()
            self.assertEqual(metric(m, "gatewatch_alerts_total", event="firing"), 0,
                             "the restarted daemon composed the firing again")
            incidents = [a["id"] for a in g2.alerts("?rule=down")]
            self.assertEqual(incidents, [firing.get("id")])
            self.stop_cleanly(g2)
            self.assertEqual(len([p for p in receiver.posts if p.get("event") == "firing"]), 1, receiver.posts)
        finally:
            receiver.close()
            tarpit.close()


# ---------------------------------------------------------------------------------------------

def unshare_works(*args):
    try:
        return subprocess.run(["unshare"] + list(args) + ["true"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Environment(DaemonTest):
    @scenario
    def test_status_port_in_use(self):
        access, _ = self.app()
        squatter = socket.socket()
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        listen = "127.0.0.1:%d" % squatter.getsockname()[1]
        cfg = self.config(sources=[dh.source("app", access)], rules=[dh.marker_rule()], listen=listen)
        written = append(access, healthy(5))
        g = self.daemon(cfg, listen=listen)
        try:
            g.start(ready=r"watching 1 sources")
            g.wait_log(r"status server: port %s on 127\.0\.0\.1 is already in use.*set http\.listen to another "
                       r"port.*send SIGHUP" % listen.rsplit(":", 1)[1])
            # Still following and alerting: the marker's alert shows on stdout.
            written += append(access, marker(1))
            harness.wait_until(lambda: "=== gatewatch FIRING · marker ·" in g.out_text(), dh.CATCH_UP_S,
                               "the marker's alert on stdout", poll=0.05)
            self.assertTrue(g.running())
        finally:
            squatter.close()
        # The port is free now: SIGHUP brings the status server up.
        g.hup()
        g.wait_healthy()
        self.assertEqual(g.parsed("app"), written)
        self.stop_cleanly(g)

    @scenario
    def test_log_directory_created_later(self):
        logs = os.path.join(self.d, "later", "logs")
        access = os.path.join(logs, "access.log")
        # start_at end, as installed: a file that appears after the start is read from its start.
        cfg = self.config(sources=[dh.source("app", access, start_at="end")], rules=[dh.marker_rule()])
        g = self.daemon(cfg).start()
        g.wait_log(r"path=%s directory %s does not exist \(yet\); watching \S+ for it" % (
            re.escape(access), re.escape(logs)))
        m = g.metrics()
        self.assertEqual(metric(m, "gatewatch_source_readable", source="app"), 0)
        os.makedirs(logs)
        written = append(access, healthy(7) + marker(1))
        m = self.wait_marker(g, 1, "the log created after the start")
        self.assertEqual(g.parsed("app", m), written)
        g.wait_metric(lambda m: metric(m, "gatewatch_source_readable", source="app") == 1, "the source readable")
        self.stop_cleanly(g)

    @scenario
    def test_state_dir_unusable(self):
        # chmod 0555 does not stop root (CI runs as root), so the state directory is put where no
        # user can create one: below a regular file (mkdir fails with ENOTDIR for root too).
        blocker = os.path.join(self.d, "not-a-directory")
        with open(blocker, "w") as f:
            f.write("a file where a directory should be\n")
        state = os.path.join(blocker, "state")
        access, _ = self.app()
        receiver = dh.Receiver()
        try:
            cfg = self.config(sources=[dh.source("app", access)], rules=[dh.consecutive("down", [502])],
                              state_dir=state, sinks=[{"name": "hook", "type": "webhook", "url_env": "GW_TEST_HOOK"}])
            written = append(access, healthy(5))
            g = self.daemon(cfg, env={"GW_TEST_HOOK": receiver.url}).start()
            g.wait_log(r"state: cannot create the state directory %s: Not a directory .*— falling back to an "
                       r"in-memory database: alerts still go out" % re.escape(state))
            # Alerts still go out.
            written += append(access, storm())
            firing = receiver.wait(lambda p: p.get("event") == "firing", "the firing alert at the webhook")
            self.assertEqual(firing.get("rule"), "down")
            self.assertEqual(g.parsed("app"), written)
            self.assertFalse(os.path.exists(state))
            self.stop_cleanly(g)
        finally:
            receiver.close()

    @scenario
    def test_inotify_watch_limit(self):
        # The limit is lowered where only this daemon feels it: in a user namespace of its own, whose
        # user.max_inotify_watches (0 here) caps every watch made inside it. Without user
        # namespaces, the machine-wide fs.inotify.max_user_watches is lowered for the start only
        # (root, restored in a finally) — other processes of the same user may then fail to add
        # watches for that moment.
        access, _ = self.app()
        cfg = self.config(sources=[dh.source("app", access)], rules=[dh.marker_rule()])
        written = append(access, healthy(3))
        wrapper = ["unshare", "-Ur", "sh", "-c", 'echo 0 > /proc/sys/user/max_inotify_watches && exec "$@"', "sh"]
        sysctl = "/proc/sys/fs/inotify/max_user_watches"
        if unshare_works("-Ur"):
            g = self.daemon(cfg, wrapper=wrapper).start()
            how = "a user namespace with user.max_inotify_watches=0"
        elif os.access(sysctl, os.W_OK):
            with open(sysctl) as f:
                saved = f.read().strip()
            try:
                with open(sysctl, "w") as f:
                    f.write("1\n")
                g = self.daemon(cfg).start()
                g.wait_log(r"max_user_watches")
            finally:
                with open(sysctl, "w") as f:
                    f.write(saved + "\n")
            how = "fs.inotify.max_user_watches=1 for the start"
        else:
            self.skipTest("cannot lower the inotify watch limit here: no user namespaces (unshare -Ur) and %s "
                          "is not writable (run as root)" % sysctl)
        g.wait_log(r"the inotify watch limit of this user is reached \(raise fs\.inotify\.max_user_watches, e\.g\. "
                   r"`sysctl fs\.inotify\.max_user_watches=\d+`\); checking it every")
        # Polled instead of watched: lines still arrive.
        written += append(access, healthy(4) + marker(1))
        m = self.wait_marker(g, 1, "lines read by polling (%s)" % how)
        self.assertEqual(g.parsed("app", m), written)
        self.stop_cleanly(g)


# ---------------------------------------------------------------------------------------------

class Metrics(DaemonTest):
    @scenario
    def test_promtool_check(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool not found (apt-get install prometheus)")
        access, error_log = self.app()
        receiver = dh.Receiver()
        try:
            cfg = self.config(sources=[dh.source("app", access, error_log)],
                              rules=[dh.consecutive("down", [502]), ratio_rule(1000), dh.marker_rule()],
                              sinks=[{"name": "hook", "type": "webhook", "url_env": "GW_TEST_HOOK"}])
            written = append(access, healthy(20) + storm() + ["not a log line\n"] + marker(1))
            append(error_log, ["2022/11/16 11:26:28 [error] 1187#1187: *1 connect() failed (111: Connection "
                               "refused) while connecting to upstream\n"])
            g = self.daemon(cfg, env={"GW_TEST_HOOK": receiver.url}).start()
            self.wait_marker(g, 1, "traffic read")
            receiver.wait(lambda p: p.get("rule") == "marker", "the marker's alert delivered")
            g.wait_metric(lambda m: metric(m, "gatewatch_deliveries_total", sink="hook") >= 2, "two deliveries counted")
            text = g.metrics_text()
            for family in ("gatewatch_lines_total", "gatewatch_requests_total", "gatewatch_alerts_total",
                           "gatewatch_deliveries_total", "gatewatch_outbox_pending", "gatewatch_rotations_total",
                           "gatewatch_tail_lag_bytes", "gatewatch_build_info"):
                self.assertIn("# TYPE %s " % family, text)
            m = dh.parse_metrics(text)
            self.assertEqual(metric(m, "gatewatch_lines_total", result="malformed"), 1)
            self.assertEqual(g.parsed("app", m), written - 1)
            check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
            self.assertEqual(check.returncode, 0, "promtool check metrics: %s %s\n%s" % (
                check.stdout.decode(), check.stderr.decode(), text))
            self.assertEqual(check.stdout.decode().strip(), "", "promtool's lint findings")
            self.stop_cleanly(g)
        finally:
            receiver.close()


    @scenario
    def test_basic_auth(self):
        """http.auth_user/auth_password_hash reach the live status server: everything but
        /healthz asks for the password, and a reload that drops the keys opens it again."""
        openssl = shutil.which("openssl")
        if not openssl:
            self.skipTest("openssl not found (apt-get install openssl)")
        hashed = subprocess.run([openssl, "passwd", "-6", "s3cret"], capture_output=True, check=True,
                                timeout=30).stdout.decode().strip()
        access, error_log = self.app()
        sources = [dh.source("app", access, error_log)]
        auth = "  auth_user: ops\n  auth_password_hash: '%s'" % hashed
        path = self.config(sources=sources)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("  listen: ", auth + "\n  listen: ", 1))
        g = self.daemon(path).start()

        def get(target, credentials=None):
            host, port = self.listen.rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            try:
                headers = {}
                if credentials:
                    headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
                conn.request("GET", target, headers=headers)
                r = conn.getresponse()
                r.read()
                return r.status, r.getheader("WWW-Authenticate") or ""
            finally:
                conn.close()

        status, challenge = get("/metrics")
        self.assertEqual(status, 401, "/metrics without credentials")
        self.assertIn("Basic", challenge)
        self.assertEqual(get("/", "ops:wrong")[0], 401, "the page with a wrong password")
        self.assertEqual(get("/metrics", "ops:s3cret")[0], 200, "/metrics with the password")
        self.assertEqual(get("/healthz")[0], 200, "/healthz stays open for probes")
        # A reload without the keys: the server is started anew, open.
        with open(path, "w") as f:
            f.write(text)
        g.hup()

        def open_again():
            try:
                return get("/metrics")[0] == 200
            except OSError:  # the old server closed, the new one not listening yet
                return False
        harness.wait_until(open_again, 10, "/metrics open after the reload", poll=0.1)
        self.stop_cleanly(g)


# ---------------------------------------------------------------------------------------------

class Console(DaemonTest):
    @scenario
    def test_stdout_nobody_reads(self):
        # A pipe of one page whose reader never reads: full after a few alerts. 150 paths fail once
        # each, each its own incident: 150 alerts, far more than the pipe and the printer's queue hold.
        access, _ = self.app()
        cfg = self.config(sources=[dh.source("app", access)],
                          rules=[dh.consecutive("each", [502], count=1, group_by=["path"]), dh.marker_rule()])
        r, w = os.pipe()
        fcntl.fcntl(w, getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
        try:
            g = self.daemon(cfg, stdout=w).start()
            os.close(w)
            w = None
            written = append(access, [access_line(502, "/p/%d" % i) for i in range(150)] + marker(1))
            m = self.wait_marker(g, 1, "every line judged while stdout is stuck")
            self.assertEqual(metric(m, "gatewatch_alerts_total", rule="each", event="firing"), 150,
                             "the pipeline stalled behind stdout")
            self.assertEqual(g.parsed("app", m), written)
            g.wait_log(r"stdout: alerts are not being read")
            status, _ = g.get("/healthz")
            self.assertEqual(status, 200)
            self.stop_cleanly(g)
            # What did get through is whole blocks, readable.
            fl = fcntl.fcntl(r, fcntl.F_GETFL)
            fcntl.fcntl(r, fcntl.F_SETFL, fl | os.O_NONBLOCK)
            got = b""
            while True:
                try:
                    chunk = os.read(r, 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                got += chunk
            text = got.decode(errors="replace")
            self.assertTrue(text.startswith("=== gatewatch FIRING · each ·"), text[:300])
            self.assertIn("requests", text)
        finally:
            os.close(r)
            if w is not None:
                os.close(w)

    @scenario
    def test_stdout_reader_gone(self):
        # stdout is a pipe whose reader has exited: a write gets EPIPE (and SIGPIPE, which must not
        # kill the daemon).
        access, _ = self.app()
        cfg = self.config(sources=[dh.source("app", access)], rules=[dh.marker_rule()])
        r, w = os.pipe()
        os.close(r)
        try:
            g = self.daemon(cfg, stdout=w).start()
        finally:
            os.close(w)
        written = append(access, healthy(2) + marker(1))
        m = self.wait_marker(g, 1, "the marker")
        g.wait_log(r"stdout: alerts can no longer be printed")
        written += append(access, marker(2))
        m = self.wait_marker(g, 2, "a second alert after stdout went away")
        self.assertTrue(g.running())
        self.assertEqual(g.parsed("app", m), written)
        self.stop_cleanly(g)


# ---------------------------------------------------------------------------------------------

class NotifySocket:
    """systemd's side of sd_notify: a datagram socket recording every message, in order."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            with self.cond:
                self.messages.extend(data.decode(errors="replace").splitlines())
                self.cond.notify_all()

    def wait(self, pred, what, timeout=dh.CATCH_UP_S):
        harness.wait_until(lambda: pred(list(self.messages)), timeout, what, cond=self.cond,
                           detail=lambda: "messages: %s" % self.messages[-20:])

    def close(self):
        self.sock.close()


class Systemd(DaemonTest):
    @scenario
    def test_notify_ready_status_watchdog_reload_stop(self):
        access, _ = self.app()
        cfg = self.config(sources=[dh.source("app", access)], rules=[dh.marker_rule()])
        append(access, healthy(3))
        notify = NotifySocket(os.path.join(self.d, "notify.sock"))
        try:
            # WatchdogSec=0.4s: the daemon pings every 0.2 s.
            g = self.daemon(cfg, env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"}).start()
            notify.wait(lambda ms: "READY=1" in ms, "READY=1")
            notify.wait(lambda ms: any(re.match(r"STATUS=1 sources, \d+ lines/s, 0 open incidents, outbox 0$", x)
                                       for x in ms), "a STATUS= line")
            notify.wait(lambda ms: ms.count("WATCHDOG=1") >= 3, "three watchdog pings")
            seen = len(notify.messages)
            g.hup()
            notify.wait(lambda ms: "RELOADING=1" in ms[seen:] and "READY=1" in ms[ms.index("RELOADING=1", seen):],
                        "RELOADING=1 then READY=1 after SIGHUP")
            seen = len(notify.messages)
            self.stop_cleanly(g)
            notify.wait(lambda ms: "STOPPING=1" in ms[seen:], "STOPPING=1 after SIGTERM", timeout=1)
        finally:
            notify.close()


# ---------------------------------------------------------------------------------------------

IN_NAMESPACE = "GW_DAEMON_TEST_IN_NAMESPACE"


def loopback_up():
    """ip link set lo up, by ioctl (a fresh network namespace starts with lo down)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifr = fcntl.ioctl(s.fileno(), siocgifflags, struct.pack("16sH14s", b"lo", 0, b""))
        flags = struct.unpack("16sH14s", ifr)[1]
        fcntl.ioctl(s.fileno(), siocsifflags, struct.pack("16sH14s", b"lo", flags | iff_up, b""))
    finally:
        s.close()


class Default(DaemonTest):
    @scenario
    def test_explicit_config_missing(self):
        missing = os.path.join(self.d, "nowhere.yaml")
        p = subprocess.run([self.binary, "run", "--config", missing], capture_output=True, timeout=30,
                           env={k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"})
        err = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 2, err)
        self.assertIn(missing, err)
        self.assertIn("No such file or directory", err)
        self.assertNotIn("embedded default", err)

    @scenario
    def test_embedded_default(self):
        if os.environ.get(IN_NAMESPACE):
            return self._embedded_default_inside()
        if os.geteuid() != 0 or not unshare_works("-m", "-n"):
            self.skipTest("needs root and mount + network namespaces (unshare -m -n) to give the daemon a "
                          "private /var/log, /var/lib and port 9177")
        env = dict(os.environ, **{IN_NAMESPACE: "1"})
        p = subprocess.run(["unshare", "-m", "-n", "--propagation", "private", "--", sys.executable,
                            os.path.abspath(__file__), "Default.test_embedded_default"],
                           env=env, capture_output=True, timeout=WATCHDOG_S - 10)
        out = (p.stdout + p.stderr).decode(errors="replace")
        print(out, flush=True)
        self.assertEqual(p.returncode, 0, "the test inside the namespaces failed")

    def _embedded_default_inside(self):
        # Private /var/log and /var/lib (tmpfs), /etc as an overlay whose changes stay in this mount
        # namespace (so /etc/gatewatch/gatewatch.yaml can be hidden, then written), a loopback of
        # our own for 127.0.0.1:9177.
        for d in ("/var/log", "/var/lib"):
            subprocess.run(["mount", "-t", "tmpfs", "gw-test", d], check=True)
        upper = os.path.join(self.d, "etc-upper")
        work = os.path.join(self.d, "etc-work")
        os.makedirs(upper)
        os.makedirs(work)
        overlay = subprocess.run(["mount", "-t", "overlay", "gw-test", "-o", "lowerdir=/etc,upperdir=%s,workdir=%s"
                                  % (upper, work), "/etc"], capture_output=True)
        if overlay.returncode != 0:
            self.skipTest("no overlay mount for a private /etc: %s" % overlay.stderr.decode().strip())
        if os.path.exists("/etc/gatewatch/gatewatch.yaml"):
            os.unlink("/etc/gatewatch/gatewatch.yaml")  # in the overlay only
        loopback_up()
        os.makedirs("/var/log/nginx")
        access, error_log = "/var/log/nginx/access.log", "/var/log/nginx/error.log"
        append(access, healthy(5))  # before the start: start_at end skips them
        open(error_log, "w").close()

        g = self.daemon(None, listen="127.0.0.1:9177").start()
        log = g.log_text()
        self.assertRegex(log, r"no config file at /etc/gatewatch/gatewatch\.yaml: running on the embedded default "
                              r"— source nginx: /var/log/nginx/access\.log \(format combined\) with "
                              r"/var/log/nginx/error\.log")
        self.assertIn("to configure gatewatch: write /etc/gatewatch/gatewatch.yaml", log)
        self.assertIn("no sinks configured: every alert is printed on stdout", log)
        self.assertNotIn("warning", log, "the embedded default's start is not worth a warning")
        self.assertTrue(os.path.exists("/var/lib/gatewatch/gatewatch.db"), "state in /var/lib/gatewatch")

        # The incident: the upstream refuses, three 502s in a row (the default upstream-down rule).
        append(error_log, ["%s [error] 1187#1187: *7 connect() failed (111: Connection refused) while connecting "
                           "to upstream, client: 198.51.100.7, server: _, request: \"GET /join HTTP/1.1\", "
                           "upstream: \"http://127.0.0.1:8080/join\"\n" % time.strftime("%Y/%m/%d %H:%M:%S")])
        written = append(access, healthy(2) + storm(3, "/join\x1b[2J"))
        harness.wait_until(lambda: "=== gatewatch FIRING · upstream-down ·" in g.out_text(), dh.CATCH_UP_S,
                           "the firing alert on stdout", poll=0.05,
                           detail=lambda: "stdout: %r" % g.out_text())
        out = g.out_text()
        self.assertIn("source     nginx", out)
        self.assertIn("connect() failed (111: Connection refused)", out)
        self.assertIn("/join\\x1b[2J", out, "the escape sequence shown escaped")
        self.assertNotIn("\x1b", out)
        self.assertTrue(out.endswith("\n\n"), repr(out[-80:]))
        self.assertEqual(g.parsed("nginx"), written, "start_at end: only the lines written after the start")

        # A config file written now is taken up by SIGHUP: the same source, the marker rule only.
        os.makedirs("/etc/gatewatch", exist_ok=True)
        dh.write_config("/etc/gatewatch/gatewatch.yaml", state_dir="/var/lib/gatewatch", listen="127.0.0.1:9177",
                        sources=[{"name": "nginx", "access_log": access, "error_log": error_log, "format": "combined"}],
                        rules=[dh.marker_rule()])
        mark = g.log_mark()
        g.hup()
        g.wait_log(r"reload: /etc/gatewatch/gatewatch\.yaml exists now; it replaces the embedded default", start=mark)
        g.wait_log(r"reloaded /etc/gatewatch/gatewatch\.yaml: sources kept: nginx; removed: upstream-down, "
                   r"upstream-failure-rate; new or changed: marker|reloaded /etc/gatewatch/gatewatch\.yaml: "
                   r"sources kept: nginx; new or changed: marker; removed: upstream-down, upstream-failure-rate",
                   start=mark)
        written += append(access, marker(1))
        m = self.wait_marker(g, 1, "the file's rule in force")
        self.assertEqual(g.parsed("nginx", m), written)
        self.stop_cleanly(g)
        print("embedded default, stdout:\n" + g.out_text(), flush=True)


def main():
    harness.term_as_exception()
    prog = unittest.main(verbosity=2, exit=False)
    r = prog.result
    if r.wasSuccessful() and r.testsRun > 0 and len(r.skipped) == r.testsRun:
        for _, why in r.skipped:
            print("SKIP: %s" % why, flush=True)
        sys.exit(dh.SKIP_EXIT)
    sys.exit(0 if r.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
