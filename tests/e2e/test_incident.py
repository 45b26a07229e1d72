#!/usr/bin/env python3
"""The incident, reproduced end to end with real parts on 127.0.0.1.

An upstream application (Python's http.server, its own process) behind Debian's nginx-light, with
the incident server's log_format ($request_time, $upstream_addr, $upstream_status); a webhook
receiver; `gatewatch run` following nginx's access and error logs with one webhook sink. Healthy
traffic, then the upstream is killed (SIGKILL: the instance that did not come back):

  - the firing alert reaches the receiver within 5 s, carrying 502 lines and error.log's
    "connect() failed (111: Connection refused)" line, signed with the sink's secret;
  - logrotate, with Debian's nginx stanza (daily, rotate 14, compress, delaycompress, postrotate
    USR1), is forced mid-incident; more failures land in the new access.log (at least the
    consecutive rule's count, so the new file alone looks like an outage starting there); gatewatch
    is stopped with SIGTERM (exit 0 within 5 s) and started again mid-incident; logrotate runs
    again: no second firing, for that incident or any other;
  - the upstream comes back: the resolved alert arrives with the firing's id;
  - /metrics (the first run's figures read just before its SIGTERM, plus the second run's) counts
    every line nginx wrote to access.log, access.log.1 and access.log.2.gz as parsed, none malformed.

Two traffic levels:

  low   One request every 2 s, with every duration in the rules 10 times shorter than the defaults
        (consecutive: within 3m, quiet window 6s; ratio: window 6s; resolve_after 12s). This is the
        incident server's own picture — a request every 20 s against the default rules — with time
        running 10 times faster: each window holds the same number of requests (3), so the ratio
        rule never has its 20 requests and the consecutive rule (3 × 502/504 in a row while the
        upstream is quiet) is the one that catches the outage. Its verdict needs the third failing
        request, 2 intervals after the first (40 s on the real server, 4 s here); the 5 s budget is
        the daemon's own reaction: from that decisive request to the webhook's receipt. The time
        from the first failing request is printed, and bounded by 2 intervals + 5 s.
  busy  200 requests/s from 4 keep-alive connections, the default ratio rule (5 % and 10 failures
        of at least 20 requests) with a 20 s window instead of 60 s and resolve_after 10s, so the
        recovery is judged within the test's time; the consecutive rule (default thresholds) stays
        quiet because the upstream is busy. Budget: 5 s from the first 502 the client saw to the
        webhook's receipt.

From the restart on, the checks are collected and reported together, so one failing run shows
every way the second half went wrong.

Run: GW_GATEWATCH=BUILD/gatewatch python3 test_incident.py Incident.test_low_rate (or test_busy).
Exit code 77 (ctest's SKIP_RETURN_CODE) when nginx or logrotate are missing. GW_KEEP=1 keeps the
working directory (logs, config, state) for a look after a failure.
"""
import os
import shutil
import sys
import time
import unittest

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import harness  # noqa: E402

SECRET_ENV = "GATEWATCH_E2E_SECRET"
SECRET = "e2e-shared-secret"
SOURCE = "driver-insu-prod"
# The daemon's reaction budget: the decisive failing request → the webhook's receipt.
FIRE_BUDGET_S = 5.0
# Each test's own watchdog fires before ctest's timeout (170 s), with every process stopped.
WATCHDOG_S = 150


class Profile:
    def __init__(self, name, rate, connections, rules, rule, decisive, healthy, after_rotation,
                 after_restart, resolve_within):
        self.name = name
        self.rate = rate
        self.connections = connections
        self.rules = rules
        self.rule = rule                  # the rule expected to fire
        self.decisive = decisive          # the n-th failing request is the first the rule can fire on
        self.healthy = healthy            # healthy answers before the upstream is killed
        self.after_rotation = after_rotation  # failing answers between rotation and the first stop
        self.after_restart = after_restart    # failing answers after the restart, before recovery
        self.resolve_within = resolve_within  # upstream back → resolved alert, bound in s


def consecutive(**over):
    r = {"name": "upstream-down", "kind": "consecutive", "statuses": [502, 504], "count": 3, "within": "30m",
         "window": "60s", "quiet_below": 20, "group_by": ["source", "upstream"], "severity": "critical"}
    r.update(over)
    return r


def ratio(**over):
    r = {"name": "upstream-failure-rate", "kind": "ratio", "statuses": [502, 503, 504], "window": "60s",
         "min_requests": 20, "ratio": 0.05, "count": 10, "group_by": ["source"], "severity": "critical"}
    r.update(over)
    return r


LOW = Profile("low", rate=0.5, connections=1,
              rules=[consecutive(within="3m", window="6s", resolve_after="12s"),
                     ratio(window="6s", resolve_after="12s")],
              rule="upstream-down", decisive=3, healthy=4, after_rotation=3, after_restart=4,
              resolve_within=45)
BUSY = Profile("busy", rate=200, connections=4,
               rules=[consecutive(resolve_after="10s"), ratio(window="20s", resolve_after="10s")],
               rule="upstream-failure-rate", decisive=1, healthy=1000, after_rotation=400, after_restart=600,
               resolve_within=60)


class Incident(unittest.TestCase):
    def test_low_rate(self):
        self.run_incident(LOW)

    def test_busy(self):
        self.run_incident(BUSY)

    def run_incident(self, prof):
        binary = e2e.gatewatch_binary()
        d = harness.workdir("e2e-" + prof.name)
        receiver = e2e.WebhookReceiver()
        runs = []
        try:
            with harness.Processes() as procs, harness.Watchdog(WATCHDOG_S, "the %s-rate incident" % prof.name):
                try:
                    self._scenario(prof, binary, d, procs, receiver, runs)
                except BaseException as e:
                    logs = "\n".join("--- gatewatch run %d log (last lines):\n%s" % (i + 1, g.log_tail(30))
                                     for i, g in enumerate(runs))
                    raise AssertionError("%s\nposts: %s\n%s" % (e, receiver.posts, logs)) from e
        finally:
            receiver.close()
            if not os.environ.get("GW_KEEP"):
                shutil.rmtree(d, ignore_errors=True)
            else:
                print("kept %s" % d, flush=True)

    def _scenario(self, prof, binary, d, procs, receiver, runs):
        # From the restart on, checks are collected and reported together: one run shows every
        # way the daemon got the second half of the incident wrong.
        problems = []

        def soft(check, *args):
            try:
                check(*args)
            except AssertionError as e:
                problems.append(str(e))

        up = e2e.Upstream(procs).start()
        nginx = e2e.ProxyNginx(procs, os.path.join(d, "nginx"), up.port).start()
        rot = nginx.logrotate(d)
        state = harness.secure_dir(os.path.join(d, "state"))
        listen = "127.0.0.1:%d" % harness.free_port()
        config = e2e.write_config(os.path.join(d, "gatewatch.yaml"), source=SOURCE, access_log=nginx.access_log,
                                  error_log=nginx.error_log, state_dir=state, listen=listen,
                                  secret_env=SECRET_ENV, rules=prof.rules)

        def daemon(n):
            g = e2e.Gatewatch(procs, binary, config, listen, os.path.join(d, "gatewatch-%d.log" % n),
                              env={SECRET_ENV: SECRET}, webhook_url=receiver.url)
            runs.append(g)
            return g.start()

        gw1 = daemon(1)
        traffic = e2e.Traffic(nginx.port, prof.rate, prof.connections)
        try:
            # --- healthy traffic, read by the daemon
            traffic.wait_count(200, 0, prof.healthy, 60, "%d healthy answers" % prof.healthy)
            harness.wait_until(lambda: gw1.parsed() >= prof.healthy, e2e.CATCH_UP_S,
                               "gatewatch to read the healthy requests")
            self.assertEqual(receiver.posts, [], "alerts on healthy traffic")

            # --- the upstream dies
            t_kill = time.monotonic()
            up.kill()
            firing = receiver.wait_event(lambda j: j.get("event") == "firing", "the firing alert",
                                         timeout=(prof.decisive - 1) / prof.rate + 30)
            t_first = traffic.nth(502, t_kill, 1)
            t_decisive = traffic.nth(502, t_kill, prof.decisive)
            self.assertIsNotNone(t_first, "no 502 seen by the client: %s" % traffic.breakdown(t_kill))
            self.assertIsNotNone(t_decisive, "the alert came before the %d-th 502 (%s): %s" % (
                prof.decisive, traffic.breakdown(t_kill), firing.json))
            from_first = firing.t - t_first
            from_decisive = firing.t - t_decisive
            self.check_firing(prof, firing)
            self.assertLessEqual(from_decisive, FIRE_BUDGET_S,
                                 "the firing alert took %.2f s from the %d-th failing request" % (
                                     from_decisive, prof.decisive))
            self.assertLessEqual(from_first, (prof.decisive - 1) / prof.rate + FIRE_BUDGET_S,
                                 "the firing alert took %.2f s from the first failing request" % from_first)
            incident = firing.json["id"]

            # --- logrotate mid-incident, more failures read from the new file
            rot.run()
            t_rot = time.monotonic()
            traffic.wait_count(502, t_rot, prof.after_rotation, 60, "%d failures after the rotation" %
                               prof.after_rotation)

            # --- stop the daemon mid-incident: at a moment with no request in flight, once it has
            # read every line on disk, so its count can be added to the next run's
            traffic.pause()
            m1 = self.caught_up(nginx, lambda: gw1.metrics(), 0)
            rc1 = gw1.stop()
            self.assertEqual(rc1, 0, "SIGTERM: gatewatch exited with %s after %.2f s (None: still running "
                             "after %.0f s)" % (rc1, gw1.stop_seconds, e2e.STOP_S))
            self.assertLessEqual(gw1.stop_seconds, e2e.STOP_S)

            # --- requests while it is down; start it again mid-incident; rotate again
            traffic.resume()
            traffic.wait_count(502, time.monotonic(), 1, 30, "a failure while gatewatch is down")
            gw2 = daemon(2)
            t_restart = time.monotonic()
            traffic.wait_count(502, t_restart, prof.after_restart, 60,
                               "%d failures after the restart" % prof.after_restart)
            logged = nginx.logged_requests()
            harness.wait_until(lambda: e2e.metric(m1, "gatewatch_lines_total", result="parsed") + gw2.parsed()
                               >= logged, e2e.CATCH_UP_S, "the second run to read the failures after the restart")
            rot.run()

            # --- the upstream comes back
            up.start()
            t_up = time.monotonic()
            try:
                resolved = receiver.wait_event(
                    lambda j: j.get("event") == "resolved" and j.get("id") == incident,
                    "the resolved alert of incident %s" % incident, timeout=prof.resolve_within)
            except harness.BarrierTimeout as e:
                resolved = None
                problems.append(str(e))
            traffic.pause()
            parsed1 = e2e.metric(m1, "gatewatch_lines_total", result="parsed")
            m2 = self.caught_up(nginx, lambda: gw2.metrics(), parsed1)
            rc2 = gw2.stop()
            soft(self.assertEqual, rc2, 0, "SIGTERM (second run): exit %s after %.2f s" % (rc2, gw2.stop_seconds))
        finally:
            traffic.stop()
        logged = nginx.logged_requests()
        files = nginx.access_files()
        nginx.stop()

        # --- resolved: the same incident
        if resolved is not None:
            soft(self.assertIsNotNone, resolved.json.get("resolved_at"), resolved.json)
            soft(self.assertEqual, resolved.json.get("rule"), prof.rule)
            soft(self.assertNotEqual, resolved.headers.get("idempotency-key"), firing.headers.get("idempotency-key"))
            soft(self.assertEqual, resolved.headers.get("x-gatewatch-signature"),
                 e2e.signature(SECRET, resolved.body))

        # --- one incident, one firing, one resolved: the rotations and the restart changed nothing
        posts = receiver.events()
        soft(self.assertEqual, len(receiver.posts), len(posts), "POSTs that are not JSON: %s" % receiver.posts)
        mine = [p.json["event"] for p in posts if p.json.get("id") == incident]
        soft(self.assertEqual, mine, ["firing", "resolved"], "alerts of incident %s: %s" % (incident, posts))
        others = [p for p in posts if p.json.get("id") != incident]
        soft(self.assertEqual, others, [], "alerts of other incidents, raised after the rotation and the restart "
             "of a daemon that had already alerted: %s" % "; ".join(
                 "%s %s %s started_at %s fired_at %s: %s" % (
                     p.json.get("event"), p.json.get("rule"), p.json.get("id"), p.json.get("started_at"),
                     p.json.get("fired_at"), p.json.get("summary")) for p in others))
        soft(self.assertEqual, e2e.metric(m1, "gatewatch_alerts_total", rule=prof.rule, event="firing"), 1)
        soft(self.assertEqual, e2e.metric(m2, "gatewatch_alerts_total", event="firing"), 0,
             "the restarted daemon composed firing alerts")
        soft(self.assertEqual, e2e.metric(m2, "gatewatch_alerts_total", rule=prof.rule, event="resolved"), 1,
             "the restarted daemon's resolved alerts of rule %s" % prof.rule)

        # --- every line nginx wrote, parsed once, across two rotations and two runs
        parsed2 = e2e.metric(m2, "gatewatch_lines_total", result="parsed")
        malformed = (e2e.metric(m1, "gatewatch_lines_total", result="malformed") +
                     e2e.metric(m2, "gatewatch_lines_total", result="malformed"))
        soft(self.assertTrue, any(f.endswith(".gz") for f in files),
             "the second rotation should have compressed: %s" % files)
        soft(self.assertGreaterEqual, e2e.metric(m1, "gatewatch_rotations_total"), 1, "run 1 saw no rotation")
        soft(self.assertEqual, parsed1 + parsed2, logged, "parsed %d + %d lines, nginx logged %d in %s" % (
            parsed1, parsed2, logged, files))
        soft(self.assertEqual, malformed, 0, "malformed lines")

        notes = [ln for g in runs for ln in g.log_lines(levels=("error", "critical"))]
        print("e2e %s: %d requests (%s), first 502 -> firing %.3f s, %d-th 502 -> firing %.3f s, upstream back -> "
              "resolved %s; lines logged %d = parsed %d + %d (files %s); SIGTERM exits %.2f s, %.2f s; "
              "gatewatch errors: %d%s" % (
                  prof.name, traffic.count(), traffic.breakdown(), from_first, prof.decisive, from_decisive,
                  "%.2f s" % (resolved.t - t_up) if resolved else "never", logged, parsed1, parsed2, files,
                  gw1.stop_seconds, gw2.stop_seconds, len(notes), "".join("\n  " + n for n in notes[:20])),
              flush=True)
        if problems:
            raise AssertionError("%d problem(s):\n- %s" % (len(problems), "\n- ".join(problems)))

    def caught_up(self, nginx, metrics, parsed_before):
        """With traffic paused: waits until the daemon's parsed count (plus the earlier run's) equals
        the lines on disk, on two reads 0.2 s apart (nginx writes a line just after answering), and
        returns those metrics."""
        state = {"m": None, "last": None, "since": None}

        def done():
            m = metrics()
            have = parsed_before + e2e.metric(m, "gatewatch_lines_total", result="parsed")
            logged = nginx.logged_requests()
            state["m"], state["last"] = m, (have, logged)
            if have != logged:
                state["since"] = None
                return False
            now = time.monotonic()
            if state["since"] is None:
                state["since"] = now
            return now - state["since"] >= 0.2

        harness.wait_until(done, e2e.CATCH_UP_S, "gatewatch to read every line nginx logged", poll=0.05,
                           detail=lambda: "(parsed, logged) = %s, files %s" % (state["last"], nginx.access_files()))
        return state["m"]

    def check_firing(self, prof, firing):
        j = firing.json
        self.assertEqual(j.get("version"), 1, j)
        self.assertEqual(j.get("rule"), prof.rule, j)
        self.assertEqual(j.get("source"), SOURCE, j)
        self.assertTrue(j.get("id"), j)
        self.assertIsNone(j.get("resolved_at"), j)
        for key in ("started_at", "fired_at", "summary"):
            self.assertTrue(j.get(key), "%s missing: %s" % (key, j))
        ctx = j.get("context") or {}
        access = ctx.get("access") or []
        errors = ctx.get("error") or []
        self.assertTrue(any('" 502 ' in ln and "upstream_status=502" in ln for ln in access),
                        "no 502 line in context.access: %s" % access)
        self.assertTrue(any(e2e.REFUSED in ln for ln in errors), "no %r in context.error: %s" % (e2e.REFUSED, errors))
        self.assertEqual(firing.headers.get("content-type", "").split(";")[0], "application/json")
        self.assertTrue(firing.headers.get("idempotency-key"), firing.headers)
        self.assertEqual(firing.headers.get("x-gatewatch-signature"), e2e.signature(SECRET, firing.body))


if __name__ == "__main__":
    harness.term_as_exception()
    e2e.skip_unless_tools()
    unittest.main(verbosity=2)
