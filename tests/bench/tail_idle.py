#!/usr/bin/env python3
"""Idle cost of the log follower: CPU time and wake-ups over --seconds with every file idle.

The follower follows --files files; each gets 1,000 lines, all delivered (barrier), then nothing
is written for --seconds. Measured from /proc: CPU time of all threads (schedstat, ns), and
voluntary context switches summed over its threads (each one a sleep that ended: a wake-up).
With inotify and a safety-net stat every 10 s the expectation is about 6 wake-ups per minute.

  tail_idle.py --probe BUILD/tests/tail/gatewatch_tail_probe [--follower probe|tail-F|both]
               [--seconds 60] [--files 4] [--json FILE]
"""
import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
import harness  # noqa: E402


def one_run(kind, seconds, files, probe_extra):
    d = harness.workdir("bench-idle")
    try:
        logs = [os.path.join(d, "site%d-access.log" % i) for i in range(files)]
        for p in logs:
            with open(p, "wb"):
                pass
        state = os.path.join(d, "state")
        os.makedirs(state)
        with harness.Processes() as procs:
            fol = harness.make_follower(kind, procs, logs, state_dir=state, extra=probe_extra)
            fol.start()
            fol.wait_ready()
            for i, p in enumerate(logs):
                wid = "F%d" % i
                with open(p, "ab") as f:
                    f.write(b"".join(harness.make_line(wid, s, 1) for s in range(1000)))
                fol.out.wait_seq(wid, 999)
            cpu0 = harness.proc_cpu_ns(fol.pid)
            load0 = harness.loadavg()
            vol0, invol0 = harness.proc_context_switches(fol.pid)
            threads = len(os.listdir("/proc/%d/task" % fol.pid))
            time.sleep(seconds)  # the measurement interval itself
            cpu1 = harness.proc_cpu_ns(fol.pid)
            load1 = harness.loadavg()
            vol1, invol1 = harness.proc_context_switches(fol.pid)
            fol.stop()
        return {"follower": kind, "files": files, "seconds": seconds, "threads": threads,
                "cpu_ms": round((cpu1 - cpu0) / 1e6, 2), "load": [load0, load1], "wakeups": vol1 - vol0,
                "wakeups_per_min": round((vol1 - vol0) * 60.0 / seconds, 1), "involuntary": invol1 - invol0}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probe")
    ap.add_argument("--follower", choices=["probe", "tail-F", "both"], default="both")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--probe-arg", action="append", default=[])
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.probe:
        os.environ["GW_TAIL_PROBE"] = os.path.abspath(a.probe)
    kinds = ["probe", "tail-F"] if a.follower == "both" else [a.follower]
    results = []
    print("| follower | files | seconds | threads | CPU ms | wake-ups | wake-ups/min | involuntary switches | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        r = one_run(kind, a.seconds, a.files, a.probe_arg)
        results.append(r)
        print("| %s | %d | %.0f | %d | %.2f | %d | %.1f | %d | %s |" % (
            kind, r["files"], r["seconds"], r["threads"], r["cpu_ms"], r["wakeups"], r["wakeups_per_min"],
            r["involuntary"], "%.1f->%.1f" % tuple(r["load"])), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
