#!/usr/bin/env python3
"""Alert latency of `gatewatch run`: from the first failing request (the first 502 answer the client
sees after the upstream is killed) to the webhook receiver's receipt of the firing alert, over
--incidents incidents (default 20). The parts are the end-to-end test's (tests/e2e): an upstream
app, Debian's nginx-light proxying to it, a loopback webhook receiver, gatewatch with one webhook
sink. Each incident: healthy traffic for a random 1-2 s (so kills fall anywhere in the daemon's
1 s tick), kill the upstream, wait for the firing alert, start the upstream again, wait for the
resolved alert (short windows and resolve_after keep a cycle to ~10 s).

  --mode busy  200 requests/s (4 connections), the ratio rule (5 % and 10 failures of ≥ 20 requests)
               with a 5 s window and resolve_after 3s: the first 502 is the earliest the rule
               could know; the latency is the daemon's (tail → parse → detect → deliver).
  --mode low   one request per second, the consecutive rule (3 in a row) with every window 20 times
               shorter than the defaults (quiet window 3s, within 90s, resolve_after 6s): the alert
               can only follow the third failing request, 2 s after the first; both latencies are
               reported (first 502 → receipt and third 502 → receipt).

  python3 tests/bench/daemon_latency.py --gatewatch BUILD/daemon/gatewatch [--mode busy|low]
      [--incidents 20] [--json]
"""
import json
import os
import random
import shutil
import sys
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_bench_common as common  # noqa: E402
from daemon_bench_common import e2e, harness  # noqa: E402

MODES = {
    "busy": {"rate": 200.0, "connections": 4, "decisive": 1, "rule": "upstream-failure-rate",
             "rules": [{"name": "upstream-down", "kind": "consecutive", "resolve_after": "3s"},
                       {"name": "upstream-failure-rate", "kind": "ratio", "window": "5s", "resolve_after": "3s"}]},
    "low": {"rate": 1.0, "connections": 1, "decisive": 3, "rule": "upstream-down",
            "rules": [{"name": "upstream-down", "kind": "consecutive", "window": "3s", "within": "90s",
                       "resolve_after": "6s"},
                      {"name": "upstream-failure-rate", "kind": "ratio", "window": "3s", "resolve_after": "6s"}]},
}


def arg(argv, name, default):
    return type(default)(argv[argv.index(name) + 1]) if name in argv else default


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def main(argv):
    binary = common.gatewatch_from_args(argv)
    mode = arg(argv, "--mode", "busy")
    n = arg(argv, "--incidents", 20)
    conf = MODES[mode]
    rng = random.Random(5)
    d = harness.workdir("bench-latency")
    receiver = e2e.WebhookReceiver()
    rows = []
    try:
        with harness.Processes() as procs:
            up = e2e.Upstream(procs).start()
            nginx = e2e.ProxyNginx(procs, os.path.join(d, "nginx"), up.port).start()
            listen = "127.0.0.1:%d" % harness.free_port()
            state = harness.secure_dir(os.path.join(d, "state"))
            cfg = e2e.write_config(os.path.join(d, "gatewatch.yaml"), source="bench", access_log=nginx.access_log,
                                   error_log=nginx.error_log, state_dir=state, listen=listen,
                                   secret_env=None, rules=conf["rules"])
            gw = e2e.Gatewatch(procs, binary, cfg, listen, os.path.join(d, "gatewatch.log"),
                               webhook_url=receiver.url).start()
            traffic = e2e.Traffic(nginx.port, conf["rate"], conf["connections"])
            try:
                traffic.wait_count(200, 0, 3, 30, "healthy answers")
                for i in range(n):
                    time.sleep(1.0 + rng.random())
                    t_kill = time.monotonic()
                    up.kill()
                    firing = receiver.wait_count("firing", i + 1, "firing alert %d" % (i + 1), timeout=30)
                    t_first = traffic.nth(502, t_kill, 1)
                    t_dec = traffic.nth(502, t_kill, conf["decisive"])
                    up.start()
                    resolved = receiver.wait_event(
                        lambda j, fid=firing.json["id"]: j.get("event") == "resolved" and j.get("id") == fid,
                        "resolved alert %d" % (i + 1), timeout=60)
                    row = {"incident": i + 1, "rule": firing.json.get("rule"),
                           "first_502_to_receipt_ms": round((firing.t - t_first) * 1000, 1),
                           "decisive_502_to_receipt_ms": round((firing.t - t_dec) * 1000, 1),
                           "resolved_after_upstream_back_s": round(resolved.t - firing.t, 2)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
            finally:
                traffic.stop()
            m = gw.metrics()
            load = harness.loadavg()
            rc = gw.stop()
            notes = gw.log_lines()
            nginx.stop()
    finally:
        receiver.close()
        shutil.rmtree(d, ignore_errors=True)
    first = [r["first_502_to_receipt_ms"] for r in rows]
    dec = [r["decisive_502_to_receipt_ms"] for r in rows]
    res = {"bench": "latency", "mode": mode, "incidents": len(rows),
           "first_502_ms": {"p50": pct(first, 50), "p99": pct(first, 99), "min": min(first), "max": max(first)},
           "decisive_502_ms": {"p50": pct(dec, 50), "p99": pct(dec, 99), "min": min(dec), "max": max(dec)},
           "rules_fired": sorted({r["rule"] for r in rows}), "posts": len(receiver.posts),
           "alerts": {"%s/%s" % (dict(ls)["rule"], dict(ls)["event"]): v for (nm, ls), v in m.items()
                      if nm == "gatewatch_alerts_total"},
           "malformed": e2e.metric(m, "gatewatch_lines_total", result="malformed"),
           "loadavg": load, "exit_code": rc, "machine": common.machine()}
    print("alert latency, %s traffic, %d incidents: first 502 -> webhook receipt p50 %.1f ms, p99 %.1f ms "
          "(min %.1f, max %.1f); %d-th 502 -> receipt p50 %.1f ms, p99 %.1f ms; rules %s; load %.2f" % (
              mode, len(rows), res["first_502_ms"]["p50"], res["first_502_ms"]["p99"], min(first), max(first),
              conf["decisive"], res["decisive_502_ms"]["p50"], res["decisive_502_ms"]["p99"], res["rules_fired"], load))
    if notes:
        print("gatewatch warnings/errors:\n  " + "\n  ".join(notes[:10]))
    if "--json" in argv:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
