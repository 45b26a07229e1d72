#!/usr/bin/env python3
"""Rotation scenarios: a writer appends 10,000 numbered lines/s while real logrotate rotates the
file 20 times; the follower must deliver every line exactly once and in order per file.

  create        rename + create; the writer (like nginx) goes on writing to the renamed file until
                it reopens 0.2 s after logrotate's postrotate USR1: those lines must be delivered
  compress      the same with compress + delaycompress (Debian's nginx settings)
  storm         two renames before the writer reopens
  copytruncate  copy, then truncate in place: lines may be lost only inside the measured
                copy->truncate window (the follower may also not have read them before the truncate)

Runs against gatewatch_tail_probe ($GW_TAIL_PROBE); GW_FOLLOWER=tail-F runs the same scenarios
against GNU tail -F (to check the harness: tail -F loses lines in the rename modes).
"""
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FOLLOWER = os.environ.get("GW_FOLLOWER", "probe")
ROTATIONS = 20
RATE = 10000.0
# Lines between two rotations: 0.4 s of writing, well past the writer's 0.2 s reopen delay.
LINES_BETWEEN = 4000
REOPEN_DELAY_S = 0.2
TEST_BUDGET_S = 110


class Rotation(unittest.TestCase):
    def rotate(self, mode):
        d = harness.workdir("rot-" + mode)
        try:
            with harness.Watchdog(TEST_BUDGET_S, "rotation scenario " + mode):
                r = harness.run_rotation(FOLLOWER, mode, d, rotations=ROTATIONS, rate=RATE,
                                         lines_between=LINES_BETWEEN, reopen_delay=REOPEN_DELAY_S)
        finally:
            if not os.environ.get("GW_KEEP"):
                shutil.rmtree(d, ignore_errors=True)
        print("%s %s: %s elapsed=%.1fs" % (FOLLOWER, mode, harness.brief(r), r["elapsed_s"]), flush=True)
        ctx = "\n%s\nfollower stderr (last lines):\n%s" % (harness.brief(r), r["stderr_tail"])
        self.assertGreater(r["written"], ROTATIONS * LINES_BETWEEN, ctx)
        if mode == "copytruncate":
            print("  copytruncate window on disk: %d lines lost by copytruncate itself, per rotation %s; "
                  "logrotate run median %.1f ms; follower lost %d in window, %d outside" % (
                      r["disk_lost"], [w["lines"] for w in r["disk_windows"]], r["logrotate_run_ms_median"],
                      r["follower_lost_in_window"], r["lost_outside_window"]), flush=True)
            self.assertEqual(r["lost_outside_window"], 0, "lines lost outside copytruncate's window: %s%s" % (
                r["lost_outside_ranges"], ctx))
        else:
            self.assertEqual(r["gens"], ROTATIONS + 1, ctx)
            self.assertEqual(r["lost"], 0, "lines lost: %s%s" % (r["lost_ranges"], ctx))
        self.assertEqual(r["duplicates"], 0, "lines delivered twice: %s%s" % (r["dup_ranges"], ctx))
        self.assertEqual(r["order_errors"], [], "lines out of order within one file (gen, previous, this)" + ctx)
        self.assertEqual(r["odd"], 0, "torn or joined lines: %s%s" % (r["odd_examples"], ctx))
        self.assertEqual(r["out_of_range"], 0, ctx)
        if FOLLOWER == "probe":
            self.assertEqual(r["exit_code"], 0, "the probe must exit 0 on SIGTERM" + ctx)
            self.assertLess(r["stop_s"], harness.PROBE_STOP_S, ctx)

    def test_create(self):
        self.rotate("create")

    def test_create_compress_delaycompress(self):
        self.rotate("compress")

    def test_rename_storm(self):
        self.rotate("storm")

    def test_copytruncate(self):
        self.rotate("copytruncate")


if __name__ == "__main__":
    harness.term_as_exception()
    unittest.main(verbosity=2)
