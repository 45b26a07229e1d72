#!/usr/bin/env python3
"""Sustained follow throughput of the log follower, and its CPU per million lines.

A writer process appends N nginx-length lines (~260 bytes) as fast as it can (--batch lines per
write(2), O_APPEND; 1 = nginx without `buffer=`, 256 ~ nginx with `buffer=64k`) to a file the
follower is already following. Measured:
  lines/s     N / (arrival of the last line on the follower's stdout - first write)
  writer      how fast the writer alone went (if the follower keeps up, the two are close)
  CPU/Mline   the follower's utime+stime (/proc/PID/stat, all threads) over the run, per 10^6 lines

The follower's stdout goes to a file (--sink file, default; the run ends when it holds every
byte) or to a pipe read by a Python thread in 1 MiB reads (--sink pipe; the reader's wake-ups
then take part in the figure).

  tail_throughput.py --probe BUILD/tests/tail/gatewatch_tail_probe [--follower probe|tail-F|both]
                     [--lines 2000000] [--batch 1] [--repeat 3] [--json FILE]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
import harness  # noqa: E402


def one_run(kind, lines, batch, probe_extra, sink):
    d = harness.workdir("bench-thr")
    try:
        log = os.path.join(d, "access.log")
        with open(log, "wb"):
            pass
        state = os.path.join(d, "state")
        os.makedirs(state)
        sink_file = os.path.join(d, "delivered.out") if sink == "file" else None
        with harness.Processes() as procs:
            fol = harness.make_follower(kind, procs, [log], state_dir=state, count_only=True, extra=probe_extra,
                                        stdout_file=sink_file)
            fol.start()
            fol.wait_ready()
            out = fol.out
            base = out.total if out else 0
            w = procs.spawn([sys.executable, harness.__file__, "writer", "--fast", "--path", log, "--batch",
                             str(batch), "--limit", str(lines)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert w.stdout.readline().startswith(b"READY")
            cpu0 = harness.proc_cpu_seconds(fol.pid)
            load0 = harness.loadavg()
            w.stdin.write(b"go\n")
            w.stdin.flush()
            rep = json.loads(w.stdout.readline())
            w.wait()
            if out is not None:
                out.wait(lambda o: o.total >= base + lines + 1, "all %d lines" % lines, timeout=600)
                t_end = out.last_arrival_ns
                nbytes = out.bytes
            else:
                # The follower's output is the followed file's bytes (tail -F's ready markers are in
                # both): done when the sizes match. Polled every millisecond, bounded.
                want = os.path.getsize(log)
                harness.wait_until(lambda: os.path.getsize(sink_file) >= want, 600, "all %d lines" % lines,
                                   poll=0.001)
                t_end = time.monotonic_ns()
                nbytes = want
            cpu1 = harness.proc_cpu_seconds(fol.pid)
            load1 = harness.loadavg()
            fol.stop()
        secs = (t_end - rep["write_start_ns"]) / 1e9
        wsecs = (rep["write_end_ns"] - rep["write_start_ns"]) / 1e9
        return {
            "follower": kind, "sink": sink, "lines": lines, "batch": batch, "seconds": round(secs, 3),
            "lines_per_s": round(lines / secs), "mb_per_s": round(nbytes / secs / 1e6, 1),
            "writer_lines_per_s": round(lines / wsecs),
            "cpu_s": round(cpu1 - cpu0, 3), "cpu_s_per_mline": round((cpu1 - cpu0) / (lines / 1e6), 3),
            "load": [load0, load1],
        }
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probe", help="gatewatch_tail_probe binary")
    ap.add_argument("--follower", choices=["probe", "tail-F", "both"], default="both")
    ap.add_argument("--lines", type=int, default=2000000)
    ap.add_argument("--batch", type=int, action="append", help="lines per write(2), repeatable (default 1 and 256)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sink", choices=["file", "pipe"], default="file",
                    help="the follower's stdout: a file (polled for its size) or a pipe read by this process")
    ap.add_argument("--probe-arg", action="append", default=[], help="extra probe argument, repeatable")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.probe:
        os.environ["GW_TAIL_PROBE"] = os.path.abspath(a.probe)
    kinds = ["probe", "tail-F"] if a.follower == "both" else [a.follower]
    results = []
    print("| follower (stdout to %s) | lines/write | lines | seconds | lines/s | MB/s | writer lines/s | CPU s | CPU s per M lines | load |" % a.sink)
    print("|---|---|---|---|---|---|---|---|---|---|")
    for batch in a.batch or [1, 256]:
        for kind in kinds:
            for _ in range(a.repeat):
                r = one_run(kind, a.lines, batch, a.probe_arg, a.sink)
                results.append(r)
                print("| %s | %d | %d | %.2f | %d | %.1f | %d | %.2f | %.3f | %.1f->%.1f |" % (
                    kind, batch, r["lines"], r["seconds"], r["lines_per_s"], r["mb_per_s"],
                    r["writer_lines_per_s"], r["cpu_s"], r["cpu_s_per_mline"], r["load"][0], r["load"][1]),
                    flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
