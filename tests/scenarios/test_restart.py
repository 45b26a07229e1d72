#!/usr/bin/env python3
"""Restart scenarios for gatewatch_tail_probe and its SQLite checkpoints (state_dir/gatewatch.db).

  clean stop (SIGTERM) mid-stream, one rotation while stopped      -> exactly once
  clean stop mid-stream, rotation + compression while stopped      -> exactly once; the file being read
                                                                      at the stop is found inside .2.gz
  kill -9 mid-stream, rotation + compression while stopped         -> nothing lost; duplicates only the
                                                                      last uncommitted batch of each file
  copytruncate while stopped, clean stop and kill -9 -> nothing lost that is on disk (the copy is
                                                        found by fingerprint); repeats as above
  kill -9 in a loop (50 restarts) while writing and rotating       -> the checkpoint always loads (the
                                                                      probe starts at `end` where it has
                                                                      none, so a lost checkpoint loses
                                                                      lines), nothing lost

Pending (they fail with the follower as of this writing; registered with ctest once they pass):
  a glob source (`logs/*access.log`), clean stop, two rotations while stopped     -> exactly once
  restart while logrotate's delaycompress has written access.log.1.gz next to .1  -> exactly once

Each test waits on barriers (lines in the probe's output, lines in the file on disk), never on sleeps.
"""
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

RATE = 10000.0
REOPEN_DELAY_S = 0.2
# Checkpoint every this many lines (and each second): small, so kill -9 has a small batch to repeat.
CHECKPOINT_LINES = 1000
# The probe delivers a batch per turn and commits once CHECKPOINT_LINES lines are uncommitted, so
# after kill -9 at most CHECKPOINT_LINES - 1 lines plus one turn's batch are repeated. A turn reads
# at most one 64 KiB chunk per open file (the follower's read size) and these scenarios have at
# most 3 files open at once (the live file, its renamed predecessor, a compressed sibling); our
# lines are ~260 bytes.
READ_BATCH_LINES = 3 * (64 * 1024 // 250)
DUP_BOUND = CHECKPOINT_LINES + READ_BATCH_LINES
PROBE_OPTS = ["--checkpoint-lines", str(CHECKPOINT_LINES), "--checkpoint-interval", "1s"]
KILL_LOOP_RESTARTS = 50
# A restart that does not see its checkpoint says so on stderr; any of these fails the loop.
CHECKPOINT_TROUBLE = re.compile(r"corrupt|moved aside|not a database|malformed|locked|cannot open|"
                                r"failed to (open|load|read)|could not (open|load|read)", re.I)


def file_last_seq(path, wid="W1"):
    """The highest sequence number of writer wid in the last 8 KiB of a file, -1 if none."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 8192))
            tail = f.read()
    except FileNotFoundError:
        return -1
    best = -1
    prefix = wid.encode() + b" "
    for ln in tail.split(b"\n")[1:] if size > 8192 else tail.split(b"\n"):
        if ln.startswith(prefix) and ln.endswith(harness.PAD_B):
            try:
                best = max(best, int(ln.split(b" ", 2)[1]))
            except ValueError:
                pass
    return best


def file_has_gen(path, gen, wid="W1"):
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        return False
    return (b"%s " % wid.encode()) in head and (b" g=%d " % gen) in head.split(b"\n", 1)[0]


def wait_writer_progress(path, seq, what):
    """Bounded poll of the file on disk while no follower runs: the writer reached seq."""
    harness.wait_until(lambda: file_last_seq(path) >= seq, harness.DEFAULT_BARRIER_S,
                       "%s (writer line %d in %s)" % (what, seq, os.path.basename(path)), poll=0.01)


def wait_writer_reopened(path, gen, lines):
    """Bounded poll: the writer reopened into file generation gen at path and wrote `lines` there."""
    harness.wait_until(lambda: file_has_gen(path, gen), harness.DEFAULT_BARRIER_S,
                       "the writer's reopen into generation %d" % gen, poll=0.01)
    with open(path, "rb") as f:
        first = int(f.readline().split(b" ", 2)[1])
    wait_writer_progress(path, first + lines, "writing into generation %d" % gen)


def dup_suffix_violations(runs, wid="W1"):
    """After kill -9, a restart may repeat only what the killed run delivered last, file by file:
    the repeated lines of each file generation must be the tail of the previous runs' deliveries
    of that generation. Returns (max repeated lines in one restart, list of violations)."""
    seen = set()
    per_gen_history = {}  # gen -> seqs delivered so far, in order
    worst = 0
    bad = []
    per_run = []
    for i, out in enumerate(runs):
        repeated = {}
        for s, g in zip(out.seqs.get(wid, ()), out.gens.get(wid, ())):
            if s in seen:
                repeated.setdefault(g, []).append(s)
        total = 0
        for g, rep in repeated.items():
            hist = per_gen_history.get(g, [])
            tail = hist[-len(set(rep)):]
            if sorted(set(rep)) != sorted(tail):
                bad.append("restart %d repeated %d lines of generation %d (%s) that are not the last ones "
                           "delivered before (%s)" % (i, len(rep), g, harness.ranges(sorted(set(rep)), 4),
                                                      harness.ranges(sorted(tail), 4)))
            total += len(rep)
        worst = max(worst, total)
        per_run.append((total, len(out.seqs.get(wid, ()))))
        for s, g in zip(out.seqs.get(wid, ()), out.gens.get(wid, ())):
            if s not in seen:
                seen.add(s)
                per_gen_history.setdefault(g, []).append(s)
    if os.environ.get("GW_VERBOSE"):
        print("per run (repeated, delivered):", per_run)
    return worst, bad


def db_integrity(state_dir):
    """Copies gatewatch.db (+ its WAL) aside and runs PRAGMA integrity_check on the copy, so the
    check never touches the probe's files. Returns 'ok' or SQLite's complaint."""
    db = os.path.join(state_dir, "gatewatch.db")
    if not os.path.exists(db):
        return "missing %s" % db
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in ("", "-wal"):
            if os.path.exists(db + suffix):
                shutil.copyfile(db + suffix, os.path.join(tmp, "gatewatch.db" + suffix))
        con = sqlite3.connect(os.path.join(tmp, "gatewatch.db"))
        try:
            return con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()


class Restart(unittest.TestCase):
    def setUp(self):
        self.dir = harness.workdir("restart")
        self.logs = harness.secure_dir(os.path.join(self.dir, "logs"))
        self.log = os.path.join(self.logs, "access.log")
        self.state = os.path.join(self.dir, "state")
        os.makedirs(self.state)
        with open(self.log, "wb"):
            pass
        os.chmod(self.log, 0o644)
        self.procs = harness.Processes()

    def tearDown(self):
        self.procs.close()
        if not os.environ.get("GW_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def probe(self, start_at="beginning", source=None):
        p = harness.make_follower("probe", self.procs, [source or self.log], state_dir=self.state,
                                  start_at=start_at, extra=PROBE_OPTS)
        p.start()
        p.wait_ready()
        return p

    def stop_cleanly(self, p):
        rc = p.stop()
        self.assertEqual(rc, 0, "the probe must exit 0 within %.0f s of SIGTERM (took %.2f s); stderr:\n%s" % (
            harness.PROBE_STOP_S, p.stop_seconds, p.stderr_tail()))

    def restart_mid_stream(self, kill, mode, rotations_while_stopped, glob=False):
        """Run 1 follows through one rotation, is stopped (SIGTERM or SIGKILL) mid-stream; the writer
        goes on and the file is rotated `rotations_while_stopped` times; run 2 must resume.
        glob: the source is `logs/*access.log` (as in a typical config) rather than the path."""
        source = os.path.join(self.logs, "*access.log") if glob else self.log
        renames = mode != "copytruncate"
        with harness.Watchdog(100, "restart scenario"):
            run1 = self.probe(source=source)
            w = harness.Writer(self.procs, self.log, rate=RATE, reopen_delay=REOPEN_DELAY_S, workdir=self.dir)
            rot = harness.LogRotate(self.dir, harness.rotate_conf(self.log, mode, w.pidfile))
            out1 = run1.out
            with harness.explain(run1):
                out1.wait_seq("W1", 3000)
                rot.run()
                if renames:
                    out1.wait_gen("W1", 2)
                out1.wait_seq("W1", out1.max_seq["W1"] + 3000)
            gen = 2 if renames else 1
            if kill:
                run1.kill9()
            else:
                self.stop_cleanly(run1)
            last1 = out1.max_seq["W1"]
            # While stopped: more lines into the file being read, then rotations (and, with
            # delaycompress, the second one compresses the file that was being read).
            wait_writer_progress(self.log, last1 + 2000, "the writer going on while the probe is down")
            for _ in range(rotations_while_stopped):
                rot.run()
                if renames:
                    gen += 1
                    wait_writer_reopened(self.log, gen, 2000)
                else:
                    harness.wait_until(lambda: os.path.getsize(self.log) > 500000, harness.DEFAULT_BARRIER_S,
                                       "the truncated file growing again", poll=0.01)
            if mode == "compress" and rotations_while_stopped >= 2:
                self.assertTrue(os.path.exists(self.log + ".2.gz"), os.listdir(self.logs))
            run2 = self.probe(source=source)
            out2 = run2.out
            with harness.explain(run2):
                out2.wait_gen("W1", gen)
                rep = w.stop()
                written = rep["count"]
                out2.wait_end("W1")
            runs = [out1, out2]
            try:
                out2.wait(lambda o: harness.check(runs, "W1", written)["lost"] == 0, "all %d lines" % written,
                          timeout=10)
            except harness.BarrierTimeout:
                pass
            self.stop_cleanly(run2)
        res = harness.check(runs, "W1", written)
        ctx = "\n%s\nrun 2 stderr:\n%s" % (harness.brief(res), run2.stderr_tail())
        print("restart kill=%s mode=%s rotations_while_stopped=%d glob=%s: %s" % (
            kill, mode, rotations_while_stopped, glob, harness.brief(res)), flush=True)
        if renames:
            self.assertEqual(res["lost"], 0, "lines lost across the restart: %s%s" % (res["lost_ranges"], ctx))
        else:
            # copytruncate destroys the lines written between its copy and its truncate; any other
            # line is on disk (in the copy or the file) and must be delivered.
            on_disk = set()
            for f in os.listdir(self.logs):
                on_disk.update(harness.seqs_in_file(os.path.join(self.logs, f)))
            lost_on_disk = [s for s in res["lost_seqs"] if s in on_disk]
            self.assertEqual(lost_on_disk, [], "lines lost across the restart although they are on disk: %s%s" % (
                harness.ranges(lost_on_disk), ctx))
        self.assertEqual(res["odd"], 0, ctx)
        self.assertEqual(res["order_errors"], [], ctx)
        if kill:
            worst, bad = dup_suffix_violations(runs)
            self.assertEqual(bad, [], ctx)
            self.assertLessEqual(worst, DUP_BOUND, "more lines repeated after kill -9 than one uncommitted "
                                 "batch" + ctx)
            print("  kill -9 repeated %d lines (bound %d)" % (worst, DUP_BOUND), flush=True)
        else:
            self.assertEqual(res["duplicates"], 0, "lines repeated after a clean stop: %s%s" % (
                res["dup_ranges"], ctx))

    def test_clean_stop_rotation_while_stopped(self):
        self.restart_mid_stream(kill=False, mode="create", rotations_while_stopped=1)

    def test_clean_stop_rotation_and_compression_while_stopped(self):
        self.restart_mid_stream(kill=False, mode="compress", rotations_while_stopped=2)

    def test_kill9_rotation_and_compression_while_stopped(self):
        self.restart_mid_stream(kill=True, mode="compress", rotations_while_stopped=2)

    def test_clean_stop_copytruncate_while_stopped(self):
        self.restart_mid_stream(kill=False, mode="copytruncate", rotations_while_stopped=1)

    def test_kill9_copytruncate_while_stopped(self):
        self.restart_mid_stream(kill=True, mode="copytruncate", rotations_while_stopped=1)

    # Fails with the follower as of this writing (see the report on issue 3); registered with
    # ctest once it passes.
    def test_glob_source_clean_stop_two_rotations_while_stopped(self):
        self.restart_mid_stream(kill=False, mode="compress", rotations_while_stopped=2, glob=True)

    def test_kill9_loop(self):
        """50 x (start, wait for lines, kill -9) while a writer appends 5,000 lines/s and logrotate
        (create + compress + delaycompress) rotates every 0.5 s of writing in another thread."""
        with harness.Watchdog(110, "kill -9 loop"):
            rate = 5000.0
            runs = []
            first = self.probe(start_at="end")
            runs.append(first.out)
            self.followers = [first]
            w = harness.Writer(self.procs, self.log, rate=rate, reopen_delay=0.1, workdir=self.dir)
            rot = harness.LogRotate(self.dir, harness.rotate_conf(self.log, "compress", w.pidfile))
            stop_rotating = threading.Event()
            rot_error = []

            def rotator():
                # Paced by the writer's progress on disk (a rotation per 2,500 lines), not by the probe.
                try:
                    mark = 0
                    while not stop_rotating.is_set():
                        if file_last_seq(self.log) >= mark + 2500 or (
                                file_last_seq(self.log + ".1") >= mark + 2500):
                            rot.run()
                            mark = max(file_last_seq(self.log), file_last_seq(self.log + ".1"))
                        stop_rotating.wait(0.02)
                except Exception as e:  # reported by the main thread
                    rot_error.append(e)

            th = threading.Thread(target=rotator, daemon=True)
            th.start()
            rng = random.Random(1234)
            troubles = []
            cur = first
            # The first run must have committed a checkpoint before the first kill: without one a
            # restart applies start_at (end) again, as the issue specifies.
            first.out.wait(lambda o: o.total >= 2 * CHECKPOINT_LINES + READ_BATCH_LINES,
                           "the first run delivering past its first checkpoint")
            for i in range(KILL_LOOP_RESTARTS):
                # Kill after a random number of new lines (0 = right after ready, during the
                # catch-up read) and a random extra moment, so kills land anywhere in the
                # read/deliver/commit cycle, before or after this run's first commit.
                base = cur.out.total
                want = rng.choice([0, rng.randint(1, 2 * CHECKPOINT_LINES)])
                cur.out.wait(lambda o: o.total >= base + want, "restart %d delivering %d lines" % (i, want))
                time.sleep(rng.uniform(0, 0.03))  # randomises the kill point; no synchronisation
                cur.kill9()
                bad = [s for s in cur.stderr_lines if CHECKPOINT_TROUBLE.search(s)]
                if bad:
                    troubles.append("restart %d: %s" % (i, bad[:3]))
                integrity = db_integrity(self.state)
                if integrity != "ok":
                    troubles.append("after kill %d: integrity_check: %s" % (i, integrity))
                cur = self.probe(start_at="end")
                runs.append(cur.out)
                self.followers.append(cur)
                self.assertIsNone(cur.proc.poll(), "the probe exited after restart %d:\n%s" % (
                    i, cur.stderr_tail()))
            stop_rotating.set()
            th.join(timeout=60)
            self.assertEqual(rot_error, [], "logrotate failed during the loop")
            rep = w.stop()
            written = rep["count"]
            cur.out.wait_end("W1")
            try:
                cur.out.wait(lambda o: harness.check(runs, "W1", written)["lost"] == 0, "all %d lines" % written,
                             timeout=15)
            except harness.BarrierTimeout:
                pass
            self.stop_cleanly(cur)
            troubles += ["final run: %s" % s for s in cur.stderr_lines if CHECKPOINT_TROUBLE.search(s)]
        res = harness.check(runs, "W1", written)
        worst, bad = dup_suffix_violations(runs)
        ctx = "\n%s\nlast run stderr:\n%s" % (harness.brief(res), cur.stderr_tail())
        if os.environ.get("GW_VERBOSE"):
            for k, f in enumerate(self.followers):
                print("--- run %d: %d lines; stderr:\n%s" % (k, f.out.total, f.stderr_tail(15)))
        print("kill -9 loop: %d restarts, %d rotations, %s; worst repeat in one restart %d lines (one batch: "
              "%d)" % (KILL_LOOP_RESTARTS, len(rot.runs), harness.brief(res), worst, DUP_BOUND), flush=True)
        self.assertEqual(troubles, [], "the checkpoint did not always load" + ctx)
        self.assertEqual(res["lost"], 0, "lines lost across kill -9 restarts: %s%s" % (res["lost_ranges"], ctx))
        self.assertEqual(res["odd"], 0, ctx)
        self.assertEqual(res["order_errors"], [], ctx)
        self.assertEqual(bad, [], ctx)
        self.assertGreaterEqual(len(rot.runs), 5, "the loop should have rotated several times")
        # Restarts that land while logrotate compresses access.log.1 repeat a whole file (see
        # test_clean_stop_restart_while_delaycompress_compresses); until that is fixed the loop
        # reports its worst repeat rather than failing on it. The bound per restart is asserted by
        # test_kill9_rotation_and_compression_while_stopped.
        if worst > DUP_BOUND:
            print("  WARNING: a restart repeated %d lines, more than one uncommitted batch (%d)" % (
                worst, DUP_BOUND), flush=True)

    def test_clean_stop_restart_while_delaycompress_compresses(self):
        """logrotate 3.21 with delaycompress compresses access.log.1 in place (gzip writes
        access.log.1.gz, then removes access.log.1) before renaming it to .2.gz. A restart in that
        moment sees both; the .gz holds the same lines as the .1 being resumed: it must not be read
        again. Here the writer wrote to the renamed file after the probe's last commit (nginx
        before its reopen), which is when the follower takes the .gz for a generation it never saw."""
        with harness.Watchdog(100, "restart during delaycompress"):
            run1 = self.probe()
            w = harness.Writer(self.procs, self.log, rate=RATE, reopen_delay=0.0, workdir=self.dir)
            rot = harness.LogRotate(self.dir, harness.rotate_conf(self.log, "storm", w.pidfile))
            out1 = run1.out
            with harness.explain(run1):
                out1.wait_seq("W1", 3000)
                rot.run()  # access.log -> access.log.1; the writer goes on writing to it (no USR1 yet)
                out1.wait_seq("W1", out1.max_seq["W1"] + 2000)
            self.stop_cleanly(run1)
            wait_writer_progress(self.log + ".1", out1.max_seq["W1"] + 2000, "the writer going on in .1")
            w.reopen()
            wait_writer_reopened(self.log, 2, 1000)
            # The moment inside logrotate's next run: gzip has written access.log.1.gz and not yet
            # removed access.log.1 (same bytes, same mtime). gzip -k makes that state on purpose.
            r = subprocess.run(["gzip", "-k", self.log + ".1"], capture_output=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            run2 = self.probe()
            out2 = run2.out
            with harness.explain(run2):
                out2.wait_gen("W1", 2)
                # logrotate goes on: removes .1, renames .1.gz to .2.gz, rotates access.log to .1
                os.unlink(self.log + ".1")
                os.rename(self.log + ".1.gz", self.log + ".2.gz")
                os.rename(self.log, self.log + ".1")
                with open(self.log, "wb"):
                    pass
                w.reopen()
                out2.wait_gen("W1", 3)
                rep = w.stop()
                written = rep["count"]
                out2.wait_end("W1")
            self.stop_cleanly(run2)
        runs = [out1, out2]
        res = harness.check(runs, "W1", written)
        ctx = "\n%s\nrun 2 stderr:\n%s" % (harness.brief(res), run2.stderr_tail())
        print("restart while delaycompress compresses: %s" % harness.brief(res), flush=True)
        self.assertEqual(res["lost"], 0, ctx)
        self.assertEqual(res["duplicates"], 0, "lines repeated after a clean stop: %s%s" % (res["dup_ranges"], ctx))


if __name__ == "__main__":
    harness.term_as_exception()
    unittest.main(verbosity=2)
