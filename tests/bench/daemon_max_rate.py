#!/usr/bin/env python3
"""The highest line rate `gatewatch run` sustains on one core without falling behind.

gatewatch runs pinned to one CPU (taskset -c --daemon-cpu, default 0), the writer process on
another (--writer-cpu, default 1). The writer appends lines (the incident server's log_format,
stamped now, --paths distinct paths, ~0.5 % background 502s) to the followed access log at a rate
raised step by step (×--factor from --start); each step lasts --step-seconds. Between steps the
writer pauses until the daemon has read everything, so each step starts level.

A step is sustained when over its second half the backlog (lines written minus
gatewatch_lines_total{result="parsed"}) and gatewatch_tail_lag_bytes stay below 2.5 s of writing
(/metrics is a snapshot published once a second, so a reading trails by up to 1 s of lines even
when nothing is behind) and the backlog grows by less than 1 s of writing; a daemon falling
behind shows a backlog growing without bound instead. After the first step that
falls behind, the rates between the last sustained one and it are bisected (--refine times).

Both default rules run, grouped by [source, path] with --group-by-path (default: [source], the
defaults), so the figure includes detection, not only parsing.

  python3 tests/bench/daemon_max_rate.py --gatewatch BUILD/daemon/gatewatch [--start 100000]
      [--factor 1.5] [--step-seconds 12] [--refine 2] [--paths 1000] [--group-by-path]
      [--checkpoint-lines N] [--rates R1,R2,...] [--json]
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

# Sustained: over the step's second half the lines written and not yet parsed stay below this many
# seconds of writing (the snapshot's 1 s plus a margin), and grow by less than GROWTH_SECONDS.
BACKLOG_SECONDS = 2.5
GROWTH_SECONDS = 1.0
# Stop raising the rate here even if it is sustained: the writer itself tops out around this.
MAX_RATE = 3_000_000


def arg(argv, name, default):
    return type(default)(argv[argv.index(name) + 1]) if name in argv else default


def lag(m):
    return e2e.metric(m, "gatewatch_tail_lag_bytes")


def run_step(gw, w, rate, seconds, line_bytes):
    """Writes at `rate` for `seconds`; returns the step's figures, judged on its second half."""
    pid = gw.pid
    w.set_rate(rate)
    t0 = time.monotonic()
    samples = []  # (t, written, parsed, lag)
    half = None
    cpu_half = None
    while True:
        time.sleep(1.0)
        t = time.monotonic() - t0
        m = gw.metrics()
        samples.append((t, w.count(), gw.parsed(m), lag(m)))
        if half is None and t >= seconds / 2:
            half = len(samples) - 1
            cpu_half = harness.proc_cpu_seconds(pid)
            wait_half = common.run_queue_wait_ns(pid)
        if t >= seconds:
            break
    cpu_end = harness.proc_cpu_seconds(pid)
    wait_end = common.run_queue_wait_ns(pid)
    w.set_rate(0)
    a, b = samples[half], samples[-1]
    dt = b[0] - a[0]
    wrote = (b[1] - a[1]) / dt
    parsed = (b[2] - a[2]) / dt
    lags = [s[3] for s in samples[half:]]
    # /metrics is a snapshot published once a second, so a reading trails the writer's count by
    # up to a second of lines even when nothing is behind: the backlog is judged against that.
    backlog = [s[1] - s[2] for s in samples[half:]]
    behind = (max(backlog) > BACKLOG_SECONDS * rate or backlog[-1] - backlog[0] > GROWTH_SECONDS * rate
              or max(lags) > BACKLOG_SECONDS * rate * line_bytes)
    return {"rate": rate, "written_per_s": round(wrote), "parsed_per_s": round(parsed),
            "backlog_lines_second_half": backlog, "lag_bytes_second_half": [int(x) for x in lags],
            "cpu_pct": round(100 * (cpu_end - cpu_half) / dt, 1),
            "runq_wait_pct": round(100 * (wait_end - wait_half) / 1e9 / dt, 1),
            "lines_per_cpu_second": round(parsed / max(cpu_end - cpu_half, 1e-9) * dt), "sustained": not behind}


def catch_up(gw, w, timeout=120):
    target = w.count()
    harness.wait_until(lambda: gw.parsed() >= target, timeout, "gatewatch to catch up with %d lines" % target,
                       poll=0.2)


def main(argv):
    binary = common.gatewatch_from_args(argv)
    rate = arg(argv, "--start", 100000.0)
    factor = arg(argv, "--factor", 1.5)
    seconds = arg(argv, "--step-seconds", 12.0)
    refine = arg(argv, "--refine", 2)
    paths = arg(argv, "--paths", 1000)
    daemon_cpu = arg(argv, "--daemon-cpu", 0)
    writer_cpu = arg(argv, "--writer-cpu", 1)
    group_by = ["source", "path"] if "--group-by-path" in argv else ["source"]
    rules = common.default_rules(group_by)
    # --checkpoint-lines N: the tail's checkpoint_lines (default 10000), to see what commits cost.
    extra = ("tail:\n  checkpoint_lines: %d\n" % arg(argv, "--checkpoint-lines", 0)
             if "--checkpoint-lines" in argv else "")
    # --rates a,b,c: exactly these steps, no search.
    fixed = [float(x) for x in arg(argv, "--rates", "").split(",") if x]
    block, offsets, _ = common.build_block(paths)
    line_bytes = len(block) / (len(offsets) - 1)
    d = harness.workdir("bench-maxrate")
    receiver = e2e.WebhookReceiver()
    steps = []
    try:
        with harness.Processes() as procs:
            listen = "127.0.0.1:%d" % harness.free_port()
            cfg, access = common.file_source_config(d, listen, rules=rules, extra=extra)
            gw = e2e.Gatewatch(procs, binary, cfg, listen, os.path.join(d, "gatewatch.log"),
                               taskset=daemon_cpu, webhook_url=receiver.url).start()
            w = common.LogWriter(procs, access, paths, rate=0, cpu=writer_cpu)
            good, bad = None, None
            for r in fixed:
                catch_up(gw, w)
                s = run_step(gw, w, r, seconds, line_bytes)
                steps.append(s)
                print("step %s" % json.dumps(s), flush=True)
            while not fixed and rate <= MAX_RATE:
                catch_up(gw, w)
                s = run_step(gw, w, rate, seconds, line_bytes)
                steps.append(s)
                print("step %s" % json.dumps(s), flush=True)
                if s["written_per_s"] < 0.9 * rate:
                    print("the writer could not write %.0f lines/s; stopping" % rate, flush=True)
                    break
                if s["sustained"]:
                    good = rate
                    rate *= factor
                else:
                    bad = rate
                    break
            for _ in range(refine if good and bad else 0):
                mid = round((good + bad) / 2)
                catch_up(gw, w)
                s = run_step(gw, w, mid, seconds, line_bytes)
                steps.append(s)
                print("step %s" % json.dumps(s), flush=True)
                if s["written_per_s"] < 0.9 * mid:
                    print("the writer could not write %.0f lines/s; the step says nothing" % mid, flush=True)
                elif s["sustained"]:
                    good = mid
                else:
                    bad = mid
            w.stop()
            m = gw.metrics()
            load = harness.loadavg()
            rc = gw.stop()
            notes = gw.log_lines()
    finally:
        receiver.close()
        shutil.rmtree(d, ignore_errors=True)
    res = {"bench": "max_rate", "sustained_lines_per_s": good, "fell_behind_at": bad, "group_by": group_by,
           "paths": paths, "line_bytes": round(line_bytes), "step_seconds": seconds, "steps": steps,
           "malformed": e2e.metric(m, "gatewatch_lines_total", result="malformed"),
           "alerts": {"%s/%s" % (dict(ls)["rule"], dict(ls)["event"]): v for (n, ls), v in m.items()
                      if n == "gatewatch_alerts_total"},
           "loadavg": load, "exit_code": rc, "machine": common.machine()}
    print("gatewatch on one core (taskset -c %d), group_by %s: sustained %s lines/s (%.0f MB/s), fell behind at %s "
          "lines/s; malformed %d; load %.2f; alerts %s" % (
              daemon_cpu, group_by, good, (good or 0) * line_bytes / 1e6, bad, res["malformed"], load,
              res["alerts"]))
    if notes:
        print("gatewatch warnings/errors:\n  " + "\n  ".join(notes[:10]))
    if "--json" in argv:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
