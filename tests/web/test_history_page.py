#!/usr/bin/env python3
"""The history page in a real browser, right after the incident it exists for.

The end-to-end pieces of tests/e2e (an upstream application behind Debian's nginx-light with the
incident server's log_format, a webhook receiver, `gatewatch run`) live through a short incident:

  - healthy traffic (2 requests/s) for a few seconds;
  - the upstream is killed; with the first failures, two hostile requests (both answered 502, so
    they land in the alert's context lines) carrying `<script>window.__pwned=1</script>` and
    `<img src=x onerror="window.__pwned=2">` in the path and a User-Agent with quotes and angle
    brackets. One path is percent-encoded as RFC 3986 requires (nginx's $request then holds
    `%3Cscript%3E...`), the other has only its spaces encoded, as a hostile client sends it (nginx
    takes `<`, `>` and `"` in the request line: the access line holds `<script>` literally, the
    quote as `\\x22`; error.log holds it unescaped). The User-Agent reaches the access line with
    its angle brackets as they came;
  - the consecutive rule fires (webhook), a few more failures, the upstream comes back (the
    hostile pair is sent again every second, answered 200 now) and the incident resolves (webhook).

The daemon keeps running, and a headless Chromium (Debian's chromium, driven through Debian's
chromedriver over the W3C WebDriver protocol, tests/web/webdriver.py) opens its status server:

  /                     the incident's row: id, started_at (data-epoch-ms, exactly the alert's),
                        duration (data-seconds, resolved_at − started_at ± 1 s)
  /incidents/ID         the chart has a point with failures for every minute nginx logged a 502,
                        and as many failures in all; the incident's span is marked; every context
                        line of the firing alert as the webhook received it is shown, the hostile
                        ones as text; error.log's lines too
  /sources/NAME         the chart has points and the incident is marked on it
  bad parameters        /?since=garbage and hostile filter values end in "ready" or "error",
                        never stuck in "loading", never executing anything

On every page: no inline <script> element, no element with an onerror attribute, window.__pwned
undefined, no dialog open (a dialog also makes every later WebDriver command fail with
"unexpected alert open"), and every resource the browser loaded came from the daemon's own
address. The server runs in Asia/Seoul and the browser in America/New_York: instants must not
shift with the viewer's zone.

Full-page screenshots of the incident page and the list page are saved beside the test (the ctest
build directory); with GW_UPDATE_SCREENSHOT=1 they are also copied to docs/img/ for the
operations guide. Exits 77 (skipped) with a message when nginx, chromium or chromedriver are
missing. Python standard library only.
"""
import datetime
import http.client
import json
import os
import re
import shutil
import sys
import time
import unittest
import urllib.parse

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import e2e  # noqa: E402
import webdriver  # noqa: E402
from e2e import harness  # noqa: E402

SOURCE = "driver-insu-prod"
RULE = "upstream-down"
# The incident server's zone for nginx and the daemon; the viewer's browser in another one.
SERVER_TZ = "Asia/Seoul"
BROWSER_TZ = "America/New_York"
SERVER_OFFSET = r"\+0?9(:?00)?\b"  # Asia/Seoul has no DST: always +09:00

# The low-rate picture of tests/e2e with durations 10 times shorter than the defaults: 2 requests/s
# keep a 6 s window under quiet_below (20), so the consecutive rule is the one that fires, on the
# third failure in a row.
RATE = 2.0
HEALTHY = 10           # healthy answers before the upstream dies (5 s)
MORE_FAILURES = 6      # failing answers after the firing alert, before the upstream comes back
RULES = [{"name": RULE, "kind": "consecutive", "statuses": [502, 504], "count": 3, "within": "3m",
          "window": "6s", "quiet_below": 20, "group_by": ["source", "upstream"], "severity": "critical",
          "resolve_after": "8s"}]

HOSTILE_PATH = '/join/<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_UA = 'Mozilla/5.0 "><script>window.__pwned=3</script><img src=x onerror=window.__pwned=4> \'q\''
# The two forms of the hostile request line: as a conforming client sends it, and as an attacker
# does (only the spaces encoded, since nginx answers 400 to a space in the request line).
ENCODED_PATH = urllib.parse.quote(HOSTILE_PATH, safe="/")
RAW_PATH = HOSTILE_PATH.replace(" ", "%20")
# What nginx's access line then holds (default escaping: `"` becomes \x22, `<` and `>` stay).
ENCODED_IN_LOG = "/join/%3Cscript%3Ewindow.__pwned%3D1%3C/script%3E"
RAW_IN_LOG = "/join/<script>window.__pwned=1</script><img%20src=x%20onerror=\\x22window.__pwned=2\\x22>"
UA_IN_LOG = 'Mozilla/5.0 \\x22><script>window.__pwned=3</script><img src=x onerror=window.__pwned=4> \'q\''

# Bounded waits.
WATCHDOG_S = 150        # the whole test; ctest's TIMEOUT (170 s) is the backstop
FIRE_S = 30.0           # the firing alert after the upstream dies
RESOLVE_S = 30.0        # the resolved alert after it comes back (resolve_after 8 s)
MINUTES_S = 20.0        # the per-minute counters reach SQLite (flushed every few seconds)
PAGE_READY_S = 20.0     # a page's script fetched its data and rendered it
DURATION_SLACK_S = 1.0  # the list's duration against resolved_at − started_at
HOSTILE_EVERY_S = 1.0   # the hostile pair's period while the incident resolves

SCREENSHOTS = {"incident": "history-incident.png", "list": "history-list.png"}


def epoch_ms(rfc3339):
    """An RFC 3339 time as gatewatch writes it ("2026-11-26T10:45:22.123+09:00", "...Z") → epoch ms."""
    t = datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise AssertionError("time without an offset: %r" % rfc3339)
    delta = t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def rfc3339_utc(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


LOG_TIME = re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]")
LOG_STATUS = re.compile(r'" (\d{3}) ')


def access_lines(nginx):
    """Every line of the access log (no rotation in this test)."""
    with open(nginx.access_log, "rb") as f:
        return f.read().decode(errors="replace").splitlines()


def minute_of(line):
    """The minute (epoch ms, UTC) of an access line's $time_local."""
    m = LOG_TIME.search(line)
    t = datetime.datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S %z")
    return int(t.timestamp()) // 60 * 60000


def status_of(line):
    m = LOG_STATUS.search(line)
    return int(m.group(1)) if m else None


def missing_tools():
    out = webdriver.missing_tools()
    if not (shutil.which("nginx") or any(os.access(p + "nginx", os.X_OK) for p in ("/usr/sbin/", "/sbin/"))):
        out.append("nginx (apt-get install nginx-light)")
    return out


# Page checks run in the page (WebDriver execute/sync).

# The page's state once its script has settled: "ready", "error", or null while it is still
# loading (or never started: no data-state at all).
JS_STATE = """
const s = document.body && document.body.dataset.state;
return (s === 'ready' || s === 'error') ? s : null;"""

JS_DIAG = """
const e = document.getElementById('error');
return {state: document.body ? (document.body.dataset.state || null) : null,
        error: e ? e.textContent : null, url: location.href,
        title: document.title, text: document.body ? document.body.innerText.slice(0, 600) : ''};"""

# What no page may hold, whatever the data: inline scripts, event-handler attributes from log
# content, a script having run, and loads from anywhere but the daemon.
JS_SAFETY = """
const base = arguments[0];
const loaded = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
    .map(e => e.name);
return {
  inlineScripts: document.querySelectorAll('script:not([src])').length,
  onerror: Array.from(document.querySelectorAll('[onerror],[onload],[onclick]')).map(e => e.outerHTML.slice(0, 200)),
  imgX: document.querySelectorAll('img[src="x"]').length,
  pwned: typeof window.__pwned === 'undefined' ? null : String(window.__pwned),
  foreign: loaded.filter(u => !(u === base || u.startsWith(base + '/'))),
  loaded: loaded.length,
};"""

JS_CHART = """
const points = Array.from(document.querySelectorAll('svg#traffic-chart [data-minute]'));
return points.map(p => {
  const v = p.dataset.minute;
  const ms = /^[0-9]+$/.test(v) ? Number(v) : Date.parse(v);
  return {minute: v, ms: ms, failures: p.dataset.failures === undefined ? null : Number(p.dataset.failures),
          requests: p.dataset.requests === undefined ? null : Number(p.dataset.requests)};
});"""

JS_CONTEXT = """
return Array.from(document.querySelectorAll('ol#context-lines > li.log-line')).map(li => li.textContent);"""


class HistoryPage(unittest.TestCase):
    def test_history_page_after_incident(self):
        binary = e2e.gatewatch_binary()
        d = harness.workdir("web-history")
        out_dir = os.getcwd()
        receiver = e2e.WebhookReceiver()
        runs = []
        t_start = time.monotonic()
        try:
            with harness.Processes() as procs, harness.Watchdog(WATCHDOG_S, "the history page test"):
                try:
                    facts = self._incident(binary, d, procs, receiver, runs)
                    t_browser = time.monotonic()
                    self._browser(procs, d, out_dir, facts)
                    facts["gw"].stop()  # closes its log; the exit code is tests/e2e's business
                    print("web: scenario %.1f s, browser %.1f s, total %.1f s" % (
                        t_browser - t_start, time.monotonic() - t_browser, time.monotonic() - t_start), flush=True)
                except BaseException as e:
                    logs = "\n".join("--- gatewatch run log (last lines):\n%s" % g.log_tail(30) for g in runs)
                    raise AssertionError("%s\nposts: %s\n%s" % (e, receiver.posts, logs)) from e
        finally:
            receiver.close()
            if not os.environ.get("GW_KEEP"):
                shutil.rmtree(d, ignore_errors=True)
            else:
                print("kept %s" % d, flush=True)

    # ------------------------------------------------------------------------------------------
    # The incident.

    def _incident(self, binary, d, procs, receiver, runs):
        up = e2e.Upstream(procs).start()
        nginx = e2e.ProxyNginx(procs, os.path.join(d, "nginx"), up.port).start()
        state = harness.secure_dir(os.path.join(d, "state"))
        listen = "127.0.0.1:%d" % harness.free_port()
        config = e2e.write_config(os.path.join(d, "gatewatch.yaml"), source=SOURCE, access_log=nginx.access_log,
                                  error_log=nginx.error_log, state_dir=state, listen=listen, secret_env=None,
                                  rules=RULES)
        gw = e2e.Gatewatch(procs, binary, config, listen, os.path.join(d, "gatewatch.log"), webhook_url=receiver.url)
        runs.append(gw)
        gw.start()
        t_begin = time.time()

        traffic = e2e.Traffic(nginx.port, RATE, 1)
        try:
            traffic.wait_count(200, 0, HEALTHY, 30, "%d healthy answers" % HEALTHY)
            harness.wait_until(lambda: gw.parsed() >= HEALTHY, e2e.CATCH_UP_S, "gatewatch to read the healthy requests")
            self.assertEqual(receiver.posts, [], "alerts on healthy traffic")

            # The upstream dies; the hostile requests are among the first failures.
            traffic.pause()
            up.kill()
            t_kill = time.monotonic()
            for path in (ENCODED_PATH, RAW_PATH):
                status = self._get(nginx.port, path, HOSTILE_UA)
                self.assertEqual(status, 502, "hostile request %r with the upstream down" % path)
            traffic.resume()
            firing = receiver.wait_event(lambda j: j.get("event") == "firing", "the firing alert", timeout=FIRE_S)
            incident = firing.json["id"]
            traffic.wait_count(502, firing.t, MORE_FAILURES, 30, "%d failures after the firing" % MORE_FAILURES)

            # The upstream is back. The hostile requests keep coming (answered 200 now) until the
            # incident resolves, so they are also among the last lines before the resolved alert
            # (the API's `alert`, checked below beside `firing_alert`, which the page shows).
            up.start()
            deadline = time.monotonic() + RESOLVE_S
            resolved = None
            while resolved is None:
                for path in (ENCODED_PATH, RAW_PATH):
                    self.assertEqual(self._get(nginx.port, path, HOSTILE_UA), 200, "hostile request %r" % path)
                try:
                    resolved = receiver.wait_event(
                        lambda j: j.get("event") == "resolved" and j.get("id") == incident,
                        "the resolved alert of incident %s" % incident,
                        timeout=min(HOSTILE_EVERY_S, max(0.0, deadline - time.monotonic())))
                except harness.BarrierTimeout:
                    if time.monotonic() >= deadline:
                        raise
        finally:
            traffic.stop()
        failures_seen = traffic.count(502, t_kill) + 2  # the paced clients' and the two hostile requests

        # Every line on disk read, then nginx stopped: the picture is complete and stays put.
        harness.wait_until(lambda: gw.parsed() >= nginx.logged_requests(), e2e.CATCH_UP_S,
                           "gatewatch to read every line nginx logged")
        lines = access_lines(nginx)
        nginx.stop()

        # What nginx made of the hostile requests.
        hostile = [ln for ln in lines if "__pwned=3" in ln]
        for ln in hostile:
            self.assertIn(UA_IN_LOG, ln, "the hostile User-Agent as nginx logged it")
        failed = [ln for ln in hostile if status_of(ln) == 502]
        self.assertEqual(len(failed), 2, "access lines of the hostile requests sent while failing: %s" % hostile)
        self.assertTrue(any(ENCODED_IN_LOG in ln for ln in failed), "no percent-encoded hostile path: %s" % failed)
        self.assertTrue(any(RAW_IN_LOG in ln for ln in failed), "no literal <script> path: %s" % failed)
        print("web: the hostile access lines sent while failing:\n  %s\n(and %d more after the upstream came "
              "back)" % ("\n  ".join(failed), len(hostile) - len(failed)), flush=True)

        # The alert carries them (cut and redacted as sent): the page must show exactly these.
        for post in (firing, resolved):
            sent = (post.json.get("context") or {}).get("access") or []
            sent_hostile = [ln for ln in sent if "__pwned=3" in ln]
            self.assertTrue(any("<script>window.__pwned=1</script>" in ln for ln in sent_hostile),
                            "no hostile line in the %s alert's context.access: %s" % (post.json["event"], sent))

        # The incident as /api/alerts/{id} has it: the same instants as the webhook's.
        status, body = gw.get("/api/alerts/%s" % urllib.parse.quote(incident, safe=""))
        self.assertEqual(status, 200, "/api/alerts/%s: %s" % (incident, body[:300]))
        api = json.loads(body)
        api = api.get("incident", api)
        started_ms = epoch_ms(firing.json["started_at"])
        resolved_ms = epoch_ms(resolved.json["resolved_at"])
        self.assertEqual(epoch_ms(api["started_at"]), started_ms, "started_at: API %s, webhook %s" % (
            api["started_at"], firing.json["started_at"]))
        self.assertEqual(epoch_ms(api["resolved_at"]), resolved_ms, "resolved_at: API %s, webhook %s" % (
            api["resolved_at"], resolved.json["resolved_at"]))
        self.assertEqual(epoch_ms(resolved.json["started_at"]), started_ms, "started_at changed on resolve")
        # The context the page must show: the firing alert's, exactly as the webhook received it
        # (the latest alert, the resolved one, is stored beside it).
        ctx = (api.get("firing_alert") or {}).get("context") or {}
        ctx_access = ctx.get("access") or []
        ctx_error = ctx.get("error") or []
        self.assertEqual(ctx_access, (firing.json.get("context") or {}).get("access"),
                         "/api/alerts/{id}'s firing_alert.context.access vs the firing alert's as sent")
        self.assertEqual((api.get("alert") or {}).get("context", {}).get("access"),
                         (resolved.json.get("context") or {}).get("access"),
                         "/api/alerts/{id}'s alert.context.access vs the resolved alert's as sent")

        # The minutes nginx logged a 502 in, and how many: what the chart must show.
        failing = [ln for ln in lines if status_of(ln) == 502]
        self.assertEqual(len(failing), failures_seen, "502 lines in the log vs 502 answers seen by the clients")
        outage = {}
        for ln in failing:
            outage[minute_of(ln)] = outage.get(minute_of(ln), 0) + 1
        busy = {minute_of(ln) for ln in lines}

        # The counters reach SQLite within a few seconds; wait until the API has them all.
        frm = rfc3339_utc(min(busy) - 60000)
        to = rfc3339_utc(max(busy) + 120000)
        path = "/api/sources/%s/minutes?from=%s&to=%s" % (urllib.parse.quote(SOURCE), frm, to)
        seen = {}

        def minutes_flushed():
            st, text = gw.get(path)
            if st != 200:
                seen["last"] = "%d %s" % (st, text[:300])
                return False
            rows = json.loads(text).get("minutes") or []
            seen["last"] = rows
            return (sum(r.get("failures", 0) for r in rows) >= len(failing)
                    and sum(r.get("requests", 0) for r in rows) >= len(lines))

        # Not fatal here: the pages are still worth checking, and the charts' checks then say
        # what they miss.
        problems = []
        try:
            harness.wait_until(minutes_flushed, MINUTES_S, "the per-minute counters of %s in %s" % (SOURCE, path),
                               poll=0.25, detail=lambda: "last answer: %s; want %d requests, %d failures in %s" % (
                                   seen.get("last"), len(lines), len(failing), outage))
        except harness.BarrierTimeout as e:
            problems.append(str(e))
        print("web: incident %s started_at %s resolved_at %s (%.1f s); %d requests, %d failures %s; "
              "scenario wall time %.1f s" % (incident, firing.json["started_at"], resolved.json["resolved_at"],
                                             (resolved_ms - started_ms) / 1000, len(lines), len(failing),
                                             {rfc3339_utc(k): v for k, v in sorted(outage.items())},
                                             time.time() - t_begin), flush=True)
        return {"gw": gw, "incident": incident, "started_ms": started_ms, "resolved_ms": resolved_ms,
                "ctx_access": ctx_access, "ctx_error": ctx_error, "outage": outage, "failures": len(failing),
                "incidents": sorted({p.json["id"] for p in receiver.events()}), "problems": problems}

    @staticmethod
    def _get(port, path, ua):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path, headers={"User-Agent": ua})
            r = conn.getresponse()
            r.read()
            return r.status
        finally:
            conn.close()

    # ------------------------------------------------------------------------------------------
    # The browser.

    def _browser(self, procs, d, out_dir, facts):
        gw = facts["gw"]
        base = "http://127.0.0.1:%d" % gw.port
        incident = facts["incident"]
        # Problems are collected per page and reported together: one run shows every way the
        # page got it wrong. A WebDriver error (such as an open dialog) stops the test at once.
        problems = list(facts["problems"])

        def soft(fn, *args):
            try:
                fn(*args)
            except webdriver.WebDriverError:
                raise  # the browser itself failed (or a dialog is open): nothing more to check
            except AssertionError as e:
                problems.append(str(e))

        env = dict(os.environ)
        env["TZ"] = BROWSER_TZ
        with webdriver.ChromeDriver(os.path.join(out_dir, "chromedriver.log"), procs, env) as drv:
            # --- the list
            self._open(drv, base + "/", "the list page")
            soft(self._safe, drv, base, "/")
            rows = drv.find_all("table#incidents tr[data-incident-id]")
            ids = [r.attribute("data-incident-id") for r in rows]
            soft(self.assertEqual, sorted(ids), facts["incidents"],
                 "table#incidents rows (data-incident-id) vs the incidents the webhook received")
            mine = [r for r, i in zip(rows, ids) if i == incident]
            if mine:
                row = mine[0]
                started = row.find_all("td[data-field=started_at]")
                duration = row.find_all("td[data-field=duration]")
                if started:
                    soft(self.assertEqual, started[0].attribute("data-epoch-ms"), str(facts["started_ms"]),
                         "list: started_at's data-epoch-ms vs the alert's started_at (%s)" % rfc3339_utc(
                             facts["started_ms"]))
                    # Shown in the server's zone with its offset, not in the browser's.
                    soft(self.assertRegex, started[0].text(), SERVER_OFFSET,
                         "list: started_at's text should show the server's offset (%s)" % SERVER_TZ)
                else:
                    problems.append("list: no td[data-field=started_at] in the incident's row")
                if duration:
                    secs = duration[0].attribute("data-seconds")
                    want = (facts["resolved_ms"] - facts["started_ms"]) / 1000
                    try:
                        soft(self.assertAlmostEqual, float(secs), want, None,
                             "list: duration's data-seconds %s vs resolved_at − started_at %.3f s" % (secs, want),
                             DURATION_SLACK_S)
                    except (TypeError, ValueError):
                        problems.append("list: duration's data-seconds is %r, not a number" % secs)
                else:
                    problems.append("list: no td[data-field=duration] in the incident's row")
            else:
                problems.append("list: no row for incident %s (rows: %s)" % (incident, ids))
            drv.screenshot_full(os.path.join(out_dir, SCREENSHOTS["list"]))

            # --- the incident
            self._open(drv, base + "/incidents/" + urllib.parse.quote(incident, safe=""), "the incident page")
            soft(self._safe, drv, base, "/incidents/ID")
            soft(self._chart, drv, facts, "incident page")
            if not drv.execute("return !!document.querySelector('svg#traffic-chart .incident-span');"):
                problems.append("incident page: no .incident-span in svg#traffic-chart")
            shown = drv.execute(JS_CONTEXT)
            absent = [ln for ln in facts["ctx_access"] if not any(ln in s for s in shown)]
            if absent:
                problems.append("incident page: %d of the %d context lines the webhook received are not among "
                                "ol#context-lines > li.log-line's texts, e.g. %r; the page shows %d, e.g. %r" % (
                                    len(absent), len(facts["ctx_access"]), absent[-1], len(shown), shown[-1:]))
            if not any("<script>window.__pwned=1</script>" in s for s in shown):
                problems.append("incident page: the hostile path's <script> is not visible as text in the "
                                "context lines: %s" % [s for s in shown if "pwned" in s])
            if not any("<script>window.__pwned=3</script>" in s for s in shown):
                problems.append("incident page: the hostile User-Agent's <script> is not visible as text")
            imgs = drv.execute("return document.querySelectorAll('#context-lines img, #error-lines img').length;")
            if imgs:
                problems.append("incident page: %d img element(s) among the log lines" % imgs)
            body_text = drv.execute("return document.body.textContent;")
            for ln in facts["ctx_error"]:
                if ln not in body_text:
                    problems.append("incident page: the error.log line %r is not shown" % ln)
            drv.screenshot_full(os.path.join(out_dir, SCREENSHOTS["incident"]))

            # --- the source
            self._open(drv, base + "/sources/" + urllib.parse.quote(SOURCE, safe=""), "the source page")
            soft(self._safe, drv, base, "/sources/NAME")
            soft(self._chart, drv, facts, "source page")
            if not drv.execute("return !!document.querySelector('svg#traffic-chart .incident-mark');"):
                problems.append("source page: no .incident-mark in svg#traffic-chart")
            drv.screenshot_full(os.path.join(out_dir, "history-source.png"))

            # --- bad and hostile parameters: an error shown, or ignored; never stuck, never run
            for path in ("/?since=garbage",
                         "/?since=" + urllib.parse.quote('<img src=x onerror="window.__pwned=5">', safe=""),
                         "/?rule=" + urllib.parse.quote("<script>window.__pwned=6</script>", safe=""),
                         "/incidents/" + urllib.parse.quote("<img src=x onerror=window.__pwned=7>", safe=""),
                         "/sources/" + urllib.parse.quote("no-such-source", safe="")):
                soft(self._settles, drv, base, path)

            self.assertIsNone(drv.alert_text(), "a dialog is open")

        self._publish(out_dir)
        if problems:
            raise AssertionError("%d problem(s) with the history page:\n- %s" % (len(problems), "\n- ".join(problems)))

    def _open(self, drv, url, what):
        """Navigates and waits for data-state "ready"; "error" or a timeout fails with #error's text."""
        drv.get(url)
        try:
            state = drv.wait_for(JS_STATE, "%s (%s) to settle: body[data-state] ready or error" % (what, url),
                                 PAGE_READY_S)
        except AssertionError as e:
            raise AssertionError("%s; page: %s" % (e, drv.execute(JS_DIAG))) from None
        if state != "ready":
            raise AssertionError("%s (%s) ended in state %r: #error says %r" % (
                what, url, state, drv.execute(JS_DIAG).get("error")))

    def _safe(self, drv, base, where):
        s = drv.execute(JS_SAFETY, base)
        self.assertEqual(s["inlineScripts"], 0, "%s: inline <script> elements" % where)
        self.assertEqual(s["onerror"], [], "%s: elements with event-handler attributes" % where)
        self.assertEqual(s["imgX"], 0, "%s: img[src=x] elements (log content rendered as HTML)" % where)
        self.assertIsNone(s["pwned"], "%s: window.__pwned is set: a script from the logs ran" % where)
        self.assertEqual(s["foreign"], [], "%s: the browser loaded resources from elsewhere than %s" % (where, base))
        self.assertIsNone(drv.alert_text(), "%s: a dialog is open" % where)

    def _chart(self, drv, facts, where):
        points = drv.execute(JS_CHART)
        self.assertTrue(points, "%s: no svg#traffic-chart [data-minute] points" % where)
        by_minute = {}
        for p in points:
            by_minute.setdefault(p["ms"], []).append(p)
        for minute, n in sorted(facts["outage"].items()):
            pts = by_minute.get(minute)
            self.assertTrue(pts, "%s: no chart point for the outage minute %s (%d failures logged); points: %s" % (
                where, rfc3339_utc(minute), n, points[:5]))
            self.assertTrue(any((p["failures"] or 0) > 0 for p in pts),
                            "%s: the outage minute %s has no data-failures > 0: %s" % (
                                where, rfc3339_utc(minute), pts))
        total = sum(p["failures"] or 0 for p in points if p["ms"] in facts["outage"])
        self.assertEqual(total, facts["failures"], "%s: data-failures summed over the outage minutes vs the 502 "
                         "lines nginx logged (%s)" % (where, facts["outage"]))

    def _settles(self, drv, base, path):
        drv.get(base + path)
        try:
            state = drv.wait_for(JS_STATE, "%s to settle" % path, PAGE_READY_S)
        except AssertionError as e:
            raise AssertionError("%s: stuck (%s); page: %s" % (path, e, drv.execute(JS_DIAG))) from None
        text = ""
        if state == "error":
            text = (drv.execute(JS_DIAG).get("error") or "").strip()
            self.assertTrue(text, "%s: state error with an empty #error" % path)
        print("web: %s → %s%s" % (path, state, (": " + text[:160]) if text else ""), flush=True)
        self._safe(drv, base, path)

    @staticmethod
    def _publish(out_dir):
        """GW_UPDATE_SCREENSHOT=1: the screenshots become the operations guide's pictures."""
        if os.environ.get("GW_UPDATE_SCREENSHOT") != "1":
            return
        img = os.path.join(REPO, "docs", "img")
        os.makedirs(img, exist_ok=True)
        for page, name in SCREENSHOTS.items():
            shutil.copyfile(os.path.join(out_dir, name), os.path.join(img, name))
            print("web: copied the %s page's screenshot to docs/img/%s" % (page, name), flush=True)


if __name__ == "__main__":
    harness.term_as_exception()
    missing = missing_tools()
    if missing:
        print("SKIP: the history page test needs %s" % ", ".join(missing), flush=True)
        sys.exit(e2e.SKIP_EXIT)
    # The incident server's zone for everything the test starts (nginx writes $time_local and
    # error.log in it, the daemon shows times in it); the browser gets its own below.
    os.environ["TZ"] = SERVER_TZ
    unittest.main(verbosity=2)
