#!/usr/bin/env python3
"""RSS of `gatewatch run` following 10,000 lines/s across 1,000 groups.

A writer process appends lines (the incident server's log_format, stamped now, 1,000 distinct
paths, ~0.5 % background 502s) to an access log at --rate lines/s for --seconds; gatewatch follows
it with both default rules grouped by [source, path], so each rule tracks 1,000 groups. Every second
the daemon's VmRSS is sampled from /proc/PID/status; at the end, VmHWM (peak), the groups the
detector reports (gatewatch_detector_groups) and whether it kept up (lines parsed vs written, lag).

  python3 tests/bench/daemon_rss.py --gatewatch BUILD/daemon/gatewatch [--rate 10000] [--paths 1000]
      [--seconds 60] [--json]
"""
import json
import os
import shutil
import sys
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_bench_common as common  # noqa: E402
from daemon_bench_common import e2e, harness  # noqa: E402


def arg(argv, name, default):
    return type(default)(argv[argv.index(name) + 1]) if name in argv else default


def main(argv):
    binary = common.gatewatch_from_args(argv)
    rate = arg(argv, "--rate", 10000.0)
    paths = arg(argv, "--paths", 1000)
    seconds = arg(argv, "--seconds", 60.0)
    d = harness.workdir("bench-rss")
    receiver = e2e.WebhookReceiver()
    samples = []
    try:
        with harness.Processes() as procs:
            listen = "127.0.0.1:%d" % harness.free_port()
            cfg, access = common.file_source_config(d, listen, rules=common.default_rules(["source", "path"]))
            gw = e2e.Gatewatch(procs, binary, cfg, listen, os.path.join(d, "gatewatch.log"),
                               webhook_url=receiver.url).start()
            pid = gw.pid
            rss_start, _ = common.rss_kib(pid)
            cpu0 = harness.proc_cpu_seconds(pid)
            w = common.LogWriter(procs, access, paths, rate=rate)
            t0 = time.monotonic()
            while time.monotonic() - t0 < seconds:
                time.sleep(1.0)
                rss, _ = common.rss_kib(pid)
                samples.append((round(time.monotonic() - t0, 1), rss))
            written = w.stop()
            elapsed = time.monotonic() - t0
            cpu = harness.proc_cpu_seconds(pid) - cpu0
            # caught up? (bounded wait for the last lines)
            try:
                harness.wait_until(lambda: gw.parsed() >= written, 30, "gatewatch to read %d lines" % written,
                                   poll=0.1)
            except harness.BarrierTimeout:
                pass
            m = gw.metrics()
            rss_end, hwm = common.rss_kib(pid)
            load = harness.loadavg()
            rc = gw.stop()
            notes = gw.log_lines()
    finally:
        receiver.close()
        shutil.rmtree(d, ignore_errors=True)
    parsed = e2e.metric(m, "gatewatch_lines_total", result="parsed")
    res = {
        "bench": "rss", "rate": rate, "paths": paths, "seconds": round(elapsed, 1), "written": written,
        "parsed": parsed, "malformed": e2e.metric(m, "gatewatch_lines_total", result="malformed"),
        "detector_groups": e2e.metric(m, "gatewatch_detector_groups"),
        "groups_evicted": e2e.metric(m, "gatewatch_detector_groups_evicted_total"),
        "alerts": {"%s/%s" % (dict(ls)["rule"], dict(ls)["event"]): v for (n, ls), v in m.items()
                   if n == "gatewatch_alerts_total"},
        "rss_start_kib": rss_start, "rss_end_kib": rss_end, "rss_peak_kib": hwm,
        "rss_max_sampled_kib": max(s[1] for s in samples), "rss_samples": samples[::10],
        "cpu_pct": round(100 * cpu / elapsed, 1), "loadavg": load, "exit_code": rc, "machine": common.machine(),
        "posts": len(receiver.posts), "daemon_warnings": notes[:10],
    }
    print("gatewatch following %.0f lines/s over %d paths (group_by [source, path], 2 rules) for %.0f s: RSS %d KiB "
          "at start, %d KiB at the end, peak %d KiB; detector groups %d (evicted %d); parsed %d of %d written "
          "(malformed %d); CPU %.1f %% of a core; load %.2f; alerts %s" % (
              rate, paths, elapsed, rss_start, rss_end, hwm, res["detector_groups"], res["groups_evicted"], parsed,
              written, res["malformed"], res["cpu_pct"], load, res["alerts"]))
    print("RSS samples (s, KiB): %s" % samples[::5])
    if notes:
        print("gatewatch warnings/errors:\n  " + "\n  ".join(notes[:10]))
    if "--json" in argv:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
