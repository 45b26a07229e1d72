#!/usr/bin/env python3
"""A minimal W3C WebDriver client for Debian's chromedriver, over HTTP with urllib only.

Chromedriver runs on a free loopback port; a session starts a headless Chromium with a fresh
profile directory. Every command is bounded by a timeout, and every WebDriver error (including
"unexpected alert open": a dialog the page should never have opened) raises WebDriverError with
the command and the driver's message, so a test fails with something readable.

Python standard library only.
"""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

# Debian's packages chromium and chromium-driver; $GW_CHROMIUM and $GW_CHROMEDRIVER name others
# (a matching pair: chromedriver drives only its own Chromium version).
CHROMIUM = os.environ.get("GW_CHROMIUM") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("GW_CHROMEDRIVER") or "/usr/bin/chromedriver"

# Chromedriver answering /status after start: it starts in well under a second; a loaded 2-core
# runner can take a few.
DRIVER_START_S = 20.0
# One WebDriver command: a new session starts Chromium (a few seconds cold on a busy runner);
# anything else answers in milliseconds unless the browser hangs.
COMMAND_S = 60.0
# Chromedriver stopping after DELETE /session and SIGTERM.
DRIVER_STOP_S = 5.0
# The browser's window (and so the screenshots' width): a laptop screen.
WINDOW = (1280, 1000)
# Full-page screenshots are cut at this height: a page that grew without bound must not make a
# gigantic image (Chromium's own limit is 16384 px).
MAX_SCREENSHOT_PX = 8000
# The W3C element reference key.
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(AssertionError):
    """A WebDriver command failed; `error` is the W3C error code ("unexpected alert open", ...)."""

    def __init__(self, what, error, message):
        super().__init__("%s: %s: %s" % (what, error, message))
        self.error = error
        self.message = message


def missing_tools():
    """The browser pieces the test needs, each with its Debian package; empty when all are there."""
    out = []
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            out.append("%s (apt-get install %s)" % (path, package))
    return out


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Element:
    """A reference to one DOM element in a session."""

    def __init__(self, session, ref):
        self.session = session
        self.ref = ref

    def text(self):
        """The rendered text (innerText-like), as a user sees it."""
        return self.session.cmd("GET", "/element/%s/text" % self.ref)

    def attribute(self, name):
        return self.session.cmd("GET", "/element/%s/attribute/%s" % (self.ref, name))

    def find_all(self, css):
        found = self.session.cmd("POST", "/element/%s/elements" % self.ref, {"using": "css selector", "value": css})
        return [Element(self.session, e[ELEMENT_KEY]) for e in found]

    def as_arg(self):
        return {ELEMENT_KEY: self.ref}


class ChromeDriver:
    """`chromedriver --port=P` on 127.0.0.1 and one headless Chromium session on it (the browser
    inherits `env`: a test can give it a time zone other than the server's).
    Use as a context manager: the session is deleted and the driver stopped on exit, also on
    failure, and the profile directory removed."""

    def __init__(self, log_path, procs=None, env=None):
        self.log_path = log_path
        self.procs = procs
        self.env = env
        self.proc = None
        self.port = None
        self.session_id = None
        self.profile = None

    # --- process

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        self.port = _free_port()
        self.log = open(self.log_path, "wb")
        cmd = [CHROMEDRIVER, "--port=%d" % self.port, "--allowed-ips=127.0.0.1", "--log-level=INFO"]
        # Its own process group, which Chromium and its helpers join: close() stops whatever of
        # the browser is left even when the session could not be deleted.
        kw = dict(stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=self.env, start_new_session=True)
        self.proc = self.procs.spawn(cmd, **kw) if self.procs else subprocess.Popen(cmd, **kw)
        deadline = time.monotonic() + DRIVER_START_S
        last = "no answer"
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("chromedriver exited with %s at start; its log:\n%s" % (
                    self.proc.returncode, self.log_tail()))
            try:
                _, status = self._http("GET", "/status", None, timeout=2)
                if status.get("value", {}).get("ready"):
                    break
                last = json.dumps(status)[:300]
            except (OSError, ValueError) as e:
                last = repr(e)
            if time.monotonic() >= deadline:
                raise AssertionError("chromedriver did not answer /status within %.0f s (last: %s); log:\n%s" % (
                    DRIVER_START_S, last, self.log_tail()))
            time.sleep(0.05)
        self.profile = tempfile.mkdtemp(prefix="gw-chromium-profile-")
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--user-data-dir=" + self.profile, "--window-size=%d,%d" % WINDOW,
                # No first-run, no default-browser check, no component or translate downloads:
                # nothing but the page under test talks to the network.
                "--no-first-run", "--no-default-browser-check", "--disable-component-update",
                "--disable-sync", "--disable-features=Translate,OptimizationHints,MediaRouter"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            # A dialog (alert(), confirm()) stays open, and every later command fails with
            # "unexpected alert open": a script the page ran cannot go unnoticed.
            "unhandledPromptBehavior": "ignore",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": 30000, "script": 10000, "implicit": 0},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}}
        value = self._call("POST", "/session", caps, "new session")
        self.session_id = value["sessionId"]
        self.capabilities = value.get("capabilities", {})
        return self

    def close(self):
        if self.session_id and self.proc and self.proc.poll() is None:
            try:
                self._http("DELETE", "/session/%s" % self.session_id, None, timeout=10)
            except (OSError, ValueError):
                pass
            self.session_id = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=DRIVER_STOP_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group chromedriver led: its browser
            except (ProcessLookupError, PermissionError):
                pass
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    # --- protocol

    def _http(self, method, path, body, timeout=COMMAND_S):
        """(HTTP status, JSON answer). WebDriver errors come as 4xx/5xx with a JSON body."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        # The driver is on loopback: never through a proxy the environment may name.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=timeout) as r:
                return r.status, json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, {"value": {"error": "http %d" % e.code, "message": text[:500]}}

    def _call(self, method, path, body, what):
        status, answer = self._http(method, path, body)
        value = answer.get("value")
        # Only the HTTP status tells an error: a script may well return {"error": ...} itself.
        if status != 200:
            error = value.get("error") if isinstance(value, dict) else "http %d" % status
            message = value.get("message") if isinstance(value, dict) else json.dumps(answer)
            raise WebDriverError(what, error, (message or "")[:1000])
        return value

    def cmd(self, method, path, body=None):
        """A command in this session: path is relative to /session/{id}."""
        if method == "POST" and body is None:
            body = {}
        return self._call(method, "/session/%s%s" % (self.session_id, path), body, "%s %s" % (method, path))

    # --- commands

    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def current_url(self):
        return self.cmd("GET", "/url")

    def execute(self, script, *args):
        """Runs `script` as a function body in the page (execute/sync) and returns its value."""
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find_all(self, css):
        found = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [Element(self, e[ELEMENT_KEY]) for e in found]

    def alert_text(self):
        """The text of the open dialog, or None when no dialog is open."""
        try:
            return self.cmd("GET", "/alert/text")
        except WebDriverError as e:
            if e.error == "no such alert":
                return None
            raise

    def wait_for(self, script, what, timeout, poll=0.1):
        """Polls `script` (execute/sync) until it returns a truthy value; returns that value.
        Raises AssertionError naming `what` and the last value after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            last = self.execute(script)
            if last:
                return last
            if time.monotonic() >= deadline:
                raise AssertionError("timed out after %.1f s waiting for %s (last value: %r)" % (timeout, what, last))
            time.sleep(poll)

    def screenshot_full(self, path):
        """A PNG of the whole page (beyond the viewport, up to MAX_SCREENSHOT_PX high) at the
        window's width, through chromedriver's DevTools bridge; the viewport's W3C screenshot
        when the bridge is missing."""
        try:
            metrics = self.cmd("POST", "/goog/cdp/execute", {"cmd": "Page.getLayoutMetrics", "params": {}})
            size = metrics.get("cssContentSize") or metrics.get("contentSize")
            width = max(1, int(size["width"]))
            height = max(1, min(int(size["height"]), MAX_SCREENSHOT_PX))
            shot = self.cmd("POST", "/goog/cdp/execute", {"cmd": "Page.captureScreenshot", "params": {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}})
            data = shot["data"]
        except WebDriverError as e:
            if e.error != "unknown command":
                raise
            data = self.cmd("GET", "/screenshot")
        png = base64.b64decode(data)
        with open(path, "wb") as f:
            f.write(png)
        return path
