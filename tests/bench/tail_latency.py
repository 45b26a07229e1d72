#!/usr/bin/env python3
"""Latency from write(2) to the line reaching the follower's stdout: p50, p99, max.

A writer process appends one line per write(2) at --rate lines/s; each line carries the
CLOCK_MONOTONIC time (ns) taken just before its write. A reader thread in this process records
when each line arrives on the follower's stdout (same clock). --samples lines are measured after
a warm-up of 200 lines. The reader's own wake-up (a Python thread blocked in read(2)) is part of
the figure, so it is an upper bound of the follower's latency.

  tail_latency.py --probe BUILD/tests/tail/gatewatch_tail_probe [--follower probe|tail-F|both]
                  [--samples 10000] [--rate 1000] [--json FILE]
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
import harness  # noqa: E402

WARMUP = 200


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def one_run(kind, samples, rate, probe_extra):
    d = harness.workdir("bench-lat")
    try:
        log = os.path.join(d, "access.log")
        with open(log, "wb"):
            pass
        state = os.path.join(d, "state")
        os.makedirs(state)
        with harness.Processes() as procs:
            fol = harness.make_follower(kind, procs, [log], state_dir=state, lat=True, extra=probe_extra)
            fol.start()
            fol.wait_ready()
            load0 = harness.loadavg()
            w = harness.Writer(procs, log, "W1", rate=rate, workdir=d)
            fol.out.wait_seq("W1", WARMUP + samples - 1, timeout=samples / rate + 60)
            load1 = harness.loadavg()
            w.stop()
            fol.out.wait_end("W1")
            fol.stop()
        seqs = fol.out.seqs["W1"]
        lats = fol.out.lats["W1"]
        v = [lats[i] / 1e6 for i in range(len(seqs)) if WARMUP <= seqs[i] < WARMUP + samples]
        return {"follower": kind, "rate": rate, "samples": len(v), "p50_ms": round(pct(v, 50), 3),
                "p90_ms": round(pct(v, 90), 3), "p99_ms": round(pct(v, 99), 3), "max_ms": round(max(v), 3), "load": [load0, load1]}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probe")
    ap.add_argument("--follower", choices=["probe", "tail-F", "both"], default="both")
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--rate", type=float, action="append", help="lines/s, repeatable (default 1000)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--probe-arg", action="append", default=[])
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.probe:
        os.environ["GW_TAIL_PROBE"] = os.path.abspath(a.probe)
    kinds = ["probe", "tail-F"] if a.follower == "both" else [a.follower]
    results = []
    print("| follower | lines/s | samples | p50 ms | p90 ms | p99 ms | max ms | load |")
    print("|---|---|---|---|---|---|---|---|")
    for rate in a.rate or [1000.0]:
        for kind in kinds:
            for _ in range(a.repeat):
                r = one_run(kind, a.samples, rate, a.probe_arg)
                results.append(r)
                print("| %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %.1f->%.1f |" % (
                    kind, rate, r["samples"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["max_ms"], r["load"][0],
                    r["load"][1]), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
