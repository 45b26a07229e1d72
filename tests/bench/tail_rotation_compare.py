#!/usr/bin/env python3
"""Side by side: the gatewatch follower and GNU `tail -F` on the same rotation runs.

For each rotation mode (create, create + compress + delaycompress, rename storm, copytruncate) a
writer appends 10,000 numbered lines/s, reopening its file 0.2 s after logrotate's USR1 like
nginx, while real logrotate rotates 20 times (the scenario harness's run_rotation). Reported per
follower and mode: lines written, lost, duplicated, torn; for copytruncate also the lines
copytruncate itself destroyed on disk (written between its copy and its truncate) and the
logrotate run time.

  tail_rotation_compare.py --probe BUILD/tests/tail/gatewatch_tail_probe [--mode M]... [--repeat 1]
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
import harness  # noqa: E402

MODES = ["create", "compress", "storm", "copytruncate"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probe")
    ap.add_argument("--follower", choices=["probe", "tail-F", "both"], default="both")
    ap.add_argument("--mode", action="append", choices=MODES)
    ap.add_argument("--rotations", type=int, default=20)
    ap.add_argument("--rate", type=float, default=10000.0)
    ap.add_argument("--reopen-delay", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.probe:
        os.environ["GW_TAIL_PROBE"] = os.path.abspath(a.probe)
    kinds = ["probe", "tail-F"] if a.follower == "both" else [a.follower]
    results = []
    print("| mode | follower | run | rotations | written | lost | duplicated | out of order | torn | "
          "copytruncate: lost on disk (window lines per rotation, max) | lost outside window |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for mode in a.mode or MODES:
        for kind in kinds:
            for i in range(a.repeat):
                d = harness.workdir("cmp-" + mode)
                try:
                    r = harness.run_rotation(kind, mode, d, rotations=a.rotations, rate=a.rate,
                                             reopen_delay=a.reopen_delay)
                finally:
                    shutil.rmtree(d, ignore_errors=True)
                r.pop("lost_seqs")
                r.pop("dup_seqs")
                r["run"] = i + 1
                results.append(r)
                ct = "-"
                outside = "-"
                if mode == "copytruncate":
                    ct = "%d (max %d, %.1f ms logrotate)" % (
                        r["disk_lost"], max([w["lines"] for w in r["disk_windows"]] or [0]),
                        r["logrotate_run_ms_median"])
                    outside = str(r["lost_outside_window"])
                print("| %s | %s | %d | %d | %d | %d | %d | %d | %d | %s | %s |" % (
                    mode, kind, i + 1, r["rotations"], r["written"], r["lost"], r["duplicates"],
                    len(r["order_errors"]), r["odd"], ct, outside), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
