#!/usr/bin/env python3
"""The README's first command, `bash .ci/demo`, against the binary just built.

GW_DEMO_GATEWATCH=$GW_GATEWATCH makes the script skip apt-get and the build; the rest runs as a
user sees it: the live incident (nginx-light, a Python upstream, `gatewatch run` with no sinks)
and the scan replay of the bundled rotated, gzipped logs. The test holds it to its story:

  - the script exits 0;
  - gatewatch fired an `upstream-down` alert after the upstream was killed, and the resolved alert
    of the same incident id followed when it came back;
  - the alert shown on the terminal carries a 502 access line and error.log's
    "connect() failed (111: Connection refused)";
  - with no sinks configured, the daemon printed both alerts on its stdout, each headed by its
    event and the incident id;
  - `gatewatch history` lists the incident, resolved (its table and --json);
  - the scan replay names the first failing request (11:07:38) and the last good one (11:05:58).

Exit code 77 (ctest's SKIP_RETURN_CODE) when nginx is missing.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import demo  # noqa: E402

REFUSED = "connect() failed (111: Connection refused)"
# The replay's facts (tests/data/make_incident_logs.py's expected.json).
FIRST_502 = "2022-11-16 11:07:38"
LAST_GOOD = "2022-11-16 11:05:58"
# Below ctest's TIMEOUT (200 s); demo.py's own watchdog fires at 150 s.
SCRIPT_TIMEOUT_S = 190


class ReadmeDemo(unittest.TestCase):
    def test_demo_tells_the_incident(self):
        binary = os.environ.get("GW_GATEWATCH", "")
        self.assertTrue(binary and os.access(binary, os.X_OK),
                        "gatewatch not found at %r (GW_GATEWATCH): build the target gatewatch first" % binary)
        source_dir = os.environ.get("GW_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
        with tempfile.TemporaryDirectory(prefix="gw-demo-test-") as tmp:
            result_path = os.path.join(tmp, "result.json")
            env = dict(os.environ, GW_DEMO_GATEWATCH=binary, GW_DEMO_RESULT=result_path,
                       GW_DEMO_DIR=os.path.join(tmp, "replay"), NO_COLOR="1")
            proc = subprocess.run(["bash", os.path.join(source_dir, ".ci", "demo")], cwd=tmp, env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=SCRIPT_TIMEOUT_S)
            out = proc.stdout.decode(errors="replace")
            sys.stdout.write(out)
            sys.stdout.flush()
            with open(result_path) as f:
                result = json.load(f)

        self.assertEqual(proc.returncode, 0, "bash .ci/demo exited %d: %s" % (proc.returncode, result.get("error")))
        self.assertTrue(result.get("ok"), result.get("error"))

        firing, resolved = result.get("firing") or {}, result.get("resolved") or {}
        incident = firing.get("id")
        self.assertTrue(incident, "no firing alert: %s" % result)
        self.assertEqual(resolved.get("id"), incident, "the resolved alert is not the firing's incident")
        self.assertTrue(firing.get("summary"), firing)
        self.assertGreaterEqual(firing.get("failures_before") or 0, 3, "the consecutive rule fired before 3 502s")

        # The alert as the terminal shows it: a 502 line of the access log and nginx's own reason.
        live = out.split("== 2/2", 1)[0]
        self.assertIn(REFUSED, live, "error.log's line is not in the alert shown")
        self.assertTrue(any('" 502 ' in ln and "upstream_status=502" in ln for ln in live.splitlines()),
                        "no 502 access line in the alert shown")

        # With no sinks the daemon prints each alert on stdout, headed by its event and incident.
        console = result.get("console") or []
        self.assertTrue(firing.get("console"), "the firing alert was not printed on stdout: %s" % console)
        self.assertTrue(resolved.get("console"), "the resolved alert was not printed on stdout: %s" % console)
        heads = [ln for ln in console if ln.startswith("=== gatewatch ")]
        self.assertEqual(len(heads), 2, console)
        self.assertIn("FIRING", heads[0])
        self.assertIn("RESOLVED", heads[1])
        self.assertTrue(all(incident in h for h in heads), heads)
        self.assertTrue(any(REFUSED in ln for ln in console), "no error.log line in the printed alerts")

        # History: the table and the JSON list the incident, resolved.
        text = result.get("history_text") or ""
        self.assertIn(demo.RULE, text)
        self.assertIn(demo.SOURCE, text)
        rows = [h for h in (result.get("history") or []) if json.dumps(h).find(incident) >= 0]
        self.assertEqual(len(rows), 1, "gatewatch history --json: %s" % result.get("history"))
        self.assertIn('"resolved_at": "', json.dumps(rows[0]), "history shows the incident unresolved")

        # The replay: when did it start?
        replay = out.split("== 2/2", 1)[-1]
        self.assertIn(FIRST_502, replay)
        self.assertIn(LAST_GOOD, replay)
        self.assertEqual(result.get("exit_code"), 0, "gatewatch run's exit on SIGTERM")


if __name__ == "__main__":
    if demo.missing_tools():
        print("SKIP: the demo needs %s" % ", ".join(demo.missing_tools()), flush=True)
        sys.exit(demo.SKIP_EXIT)
    unittest.main(verbosity=2)
