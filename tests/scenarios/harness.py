#!/usr/bin/env python3
"""Process-level harness for the log follower's scenario tests and benchmarks.

The pieces, each a real process or a real file:
  - Writer: appends numbered lines `<writer-id> <seq> g=<generation> t=<monotonic ns> <padding>`
    (nginx-like length, one write(2) per line, O_APPEND) at a set rate, and reopens its file on
    SIGUSR1 after a configurable delay, as nginx does. It runs as `harness.py writer ...`.
  - LogRotate: runs the real logrotate (`logrotate -f -s STATE CONF`) with a config written per test.
  - Follower: the follower under test (gatewatch_tail_probe, or GNU `tail -F` for comparison) with a
    thread that reads its stdout and records every line by writer and sequence number.
  - check(): proves from the sequence numbers that every line was delivered exactly once and in
    order per file, and reports lost and duplicated counts.
  - Nginx: Debian's nginx-light started in a private prefix, listening on 127.0.0.1.

Synchronisation is by barriers only: a test waits (with a bounded timeout) for a line, a marker or
a generation to show up in the follower's output, never for a fixed time. Every process a test
starts is registered with a Processes object that stops it when the test ends, also on failure;
children also get a parent-death signal so a killed test leaves nothing running.

Python standard library only.
"""
import argparse
import array
import collections
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# fcntl F_SETPIPE_SZ (Linux), not exported by Python's fcntl module before 3.10 on every build.
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PIPE_BYTES = 1 << 20

# One access-log-like tail after the numbered prefix so a line is about as long as a real nginx
# `combined` line (~230 bytes); the follower's read sizes and batch sizes then behave as in production.
PAD = ('10.1.2.3 - - [16/Nov/2022:11:00:00 +0900] "GET /join/user-form?ride=42&plan=daily HTTP/1.1" 200 612 '
       '"https://example.com/join" "Mozilla/5.0 (Linux; Android 12; SM-G991N) AppleWebKit/537.36 '
       '(KHTML, like Gecko) Chrome/107.0.5304.105 Mobile Safari/537.36"')
PAD_B = PAD.encode()

READY_LINE = b"gatewatch_tail_probe: ready"

# A test that cannot reach a barrier within these bounds fails with a message saying which barrier.
DEFAULT_BARRIER_S = 30.0
# The contract: on SIGTERM the probe commits its checkpoints and exits within 5 s.
PROBE_STOP_S = 5.0

# Keep at most this many unparsed lines / stderr lines per follower: memory stays bounded even if a
# follower goes wild, and a failure report still shows the first ones.
KEEP_ODD_LINES = 50
KEEP_STDERR_LINES = 5000


def make_line(wid, seq, gen, t_ns=None):
    if t_ns is None:
        t_ns = time.monotonic_ns()
    return b"%s %d g=%d t=%d %s\n" % (wid.encode(), seq, gen, t_ns, PAD_B)


class BarrierTimeout(AssertionError):
    """A bounded wait for something in a follower's output ran out; the message says what."""


def wait_until(pred, timeout, what, poll=None, cond=None, detail=None):
    """Waits until pred() is true. With a Condition, sleeps on it (woken by the producer);
    otherwise polls every `poll` seconds (for files on disk). Raises BarrierTimeout naming `what`."""
    deadline = time.monotonic() + timeout
    if cond is not None:
        with cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BarrierTimeout("timed out after %.1f s waiting for %s%s" % (
                        timeout, what, (": " + detail()) if detail else ""))
                cond.wait(min(left, 0.5))
        return
    poll = poll or 0.01
    while not pred():
        if time.monotonic() >= deadline:
            raise BarrierTimeout("timed out after %.1f s waiting for %s%s" % (
                timeout, what, (": " + detail()) if detail else ""))
        time.sleep(poll)


# ---------------------------------------------------------------------------------------------
# Processes: everything a test starts, stopped when it ends.

class Processes:
    """Registry of child processes; close() stops every one still running (TERM, then KILL)."""

    def __init__(self):
        self.procs = []
        self.setpriv = shutil.which("setpriv")

    def spawn(self, cmd, **kw):
        # The parent-death signal kills the child if this test process dies without cleaning up
        # (e.g. killed by a CI timeout). setpriv sets it and execs, so the pid is the command's.
        full = list(cmd)
        if self.setpriv:
            full = [self.setpriv, "--pdeathsig", "KILL", "--"] + full
        p = subprocess.Popen(full, **kw)
        p.gw_cmd = cmd
        self.procs.append(p)
        return p

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    p.terminate()
                    p.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                except ProcessLookupError:
                    pass
        for p in self.procs:
            for s in (p.stdin, p.stdout, p.stderr):
                if s:
                    try:
                        s.close()
                    except OSError:
                        pass
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def proc_cpu_seconds(pid):
    """utime + stime of a process (all threads) from /proc/PID/stat, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_cpu_ns(pid):
    """CPU time of all threads in ns from /proc/PID/task/*/schedstat: finer than the 10 ms ticks
    of /proc/PID/stat, for idle measurements."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total


def loadavg():
    """The 1-minute load average: printed with every figure, the machine is shared."""
    return round(os.getloadavg()[0], 2)


def proc_context_switches(pid):
    """Voluntary and involuntary context switches summed over all threads: each voluntary
    switch is a sleep that ended, i.e. a wake-up."""
    vol = invol = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for ln in f:
                    if ln.startswith("voluntary_ctxt_switches"):
                        vol += int(ln.split()[1])
                    elif ln.startswith("nonvoluntary_ctxt_switches"):
                        invol += int(ln.split()[1])
        except FileNotFoundError:
            pass
    return vol, invol


# ---------------------------------------------------------------------------------------------
# The follower's output.

class Output:
    """Reads a follower's stdout in a thread and records every line.

    Lines from writers are kept per writer id as parallel arrays (seq, generation, arrival order)
    so that 10^6 lines stay cheap. Marker lines (`MARK <token>`) and writer end lines
    (`<id> END <count>`) are recorded as sets. `lat=True` also stores write->arrival latency.
    """

    def __init__(self, stream, lat=False, count_only=False, parser=None):
        self.stream = stream
        self.parser = parser
        self.lat = lat
        self.count_only = count_only
        self.cond = threading.Condition()
        self.seqs = collections.defaultdict(lambda: array.array("q"))
        self.gens = collections.defaultdict(lambda: array.array("i"))
        self.lats = collections.defaultdict(lambda: array.array("q"))
        self.max_seq = {}
        self.max_gen = {}
        self.markers = set()
        self.ends = {}
        self.total = 0
        self.bytes = 0
        self.odd = []
        self.odd_count = 0
        self.last_line = b""
        self.first_arrival_ns = None
        self.last_arrival_ns = None
        self.eof = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        fd = self.stream.fileno()
        rest = b""
        while True:
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError:
                chunk = b""
            now = time.monotonic_ns()
            if not chunk:
                with self.cond:
                    if rest:
                        self._odd(b"<no newline at EOF>" + rest[:200])
                    self.eof = True
                    self.cond.notify_all()
                return
            data = rest + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            rest = data[cut + 1:]
            body = data[:cut]
            with self.cond:
                self.bytes += cut + 1
                if self.first_arrival_ns is None:
                    self.first_arrival_ns = now
                self.last_arrival_ns = now
                if self.count_only:
                    self.total += body.count(b"\n") + 1
                    self.last_line = body[body.rfind(b"\n") + 1:]
                    if b"MARK " in body:  # rare: readiness markers
                        for ln in body.split(b"\n"):
                            if ln.startswith(b"MARK "):
                                self.markers.add(ln[5:].decode(errors="replace"))
                else:
                    for ln in body.split(b"\n"):
                        self._line(ln, now)
                self.cond.notify_all()

    def _odd(self, ln):
        self.odd_count += 1
        if len(self.odd) < KEEP_ODD_LINES:
            self.odd.append(ln[:300])

    def _line(self, ln, now):
        self.total += 1
        parts = ln.split(b" ", 4)
        if len(parts) == 5 and parts[2].startswith(b"g=") and parts[3].startswith(b"t=") and parts[4] == PAD_B:
            try:
                wid = parts[0].decode()
                seq = int(parts[1])
                gen = int(parts[2][2:])
                t = int(parts[3][2:])
            except ValueError:
                self._odd(ln)
                return
            self.seqs[wid].append(seq)
            self.gens[wid].append(gen)
            if self.lat:
                self.lats[wid].append(now - t)
            if seq > self.max_seq.get(wid, -1):
                self.max_seq[wid] = seq
            if gen > self.max_gen.get(wid, -1):
                self.max_gen[wid] = gen
            return
        if self.parser is not None:
            got = self.parser(ln)
            if got is not None:
                if got[0] == "MARK":
                    self.markers.add(got[1])
                    return
                wid, seq, gen = got
                self.seqs[wid].append(seq)
                self.gens[wid].append(gen)
                if seq > self.max_seq.get(wid, -1):
                    self.max_seq[wid] = seq
                return
        if ln.startswith(b"MARK "):
            self.markers.add(ln[5:].decode(errors="replace"))
            return
        if len(parts) == 3 and parts[1] == b"END":
            try:
                self.ends[parts[0].decode()] = int(parts[2])
                return
            except ValueError:
                pass
        self._odd(ln)

    def wait(self, pred, what, timeout=DEFAULT_BARRIER_S, detail=None):
        wait_until(lambda: pred(self), timeout, what, cond=self.cond,
                   detail=detail or (lambda: self.summary()))

    def wait_marker(self, token, timeout=DEFAULT_BARRIER_S):
        self.wait(lambda o: token in o.markers, "marker %r in the follower's output" % token, timeout)

    def wait_seq(self, wid, seq, timeout=DEFAULT_BARRIER_S):
        self.wait(lambda o: o.max_seq.get(wid, -1) >= seq, "line %s %d in the follower's output" % (wid, seq),
                  timeout)

    def wait_gen(self, wid, gen, timeout=DEFAULT_BARRIER_S):
        self.wait(lambda o: o.max_gen.get(wid, -1) >= gen,
                  "a line of writer %s's file generation %d in the follower's output" % (wid, gen), timeout)

    def wait_end(self, wid, timeout=DEFAULT_BARRIER_S):
        self.wait(lambda o: wid in o.ends, "writer %s's END line in the follower's output" % wid, timeout)

    def distinct(self, wid, limit):
        """Number of distinct sequence numbers below `limit` delivered by writer wid."""
        seen = bytearray(limit)
        for s in self.seqs.get(wid, ()):
            if 0 <= s < limit:
                seen[s] = 1
        return sum(seen)

    def summary(self):
        return "lines=%d max_seq=%s max_gen=%s ends=%s markers=%d odd=%d eof=%s" % (
            self.total, self.max_seq, self.max_gen, self.ends, len(self.markers), self.odd_count, self.eof)


# ---------------------------------------------------------------------------------------------
# Followers.

class Follower:
    """A follower process whose stdout is recorded by an Output and stderr kept for reports."""

    name = "follower"

    def __init__(self, procs, paths, lat=False, count_only=False, parser=None, stdout_file=None):
        self.procs = procs
        self.parser = parser
        # stdout_file: the follower writes straight into this file and no Output records it (the
        # throughput benchmark, so a Python reader is not part of what is measured).
        self.stdout_file = stdout_file
        self.paths = [str(p) for p in paths]
        self.lat = lat
        self.count_only = count_only
        self.proc = None
        self.out = None
        self.stderr_lines = collections.deque(maxlen=KEEP_STDERR_LINES)
        self.stderr_all = []  # kept only in part: every line matching a warning pattern
        self.ready_event = threading.Event()
        self.exit_code = None
        self.stop_seconds = None

    def command(self):
        raise NotImplementedError

    def start(self):
        if self.stdout_file:
            with open(self.stdout_file, "wb") as sink:
                self.proc = self.procs.spawn(self.command(), stdin=subprocess.DEVNULL, stdout=sink,
                                             stderr=subprocess.PIPE)
            self.out = None
            self.err_thread = threading.Thread(target=self._read_stderr, daemon=True)
            self.err_thread.start()
            return self
        self.proc = self.procs.spawn(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        try:
            # A 1 MiB pipe: the follower rarely blocks on a reader that was not scheduled yet, so
            # throughput and latency measure the follower rather than this Python reader.
            fcntl.fcntl(self.proc.stdout.fileno(), F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # above /proc/sys/fs/pipe-max-size for this user: keep the default
        self.out = Output(self.proc.stdout, lat=self.lat, count_only=self.count_only, parser=self.parser)
        self.err_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self.err_thread.start()
        return self

    def _read_stderr(self):
        for ln in self.proc.stderr:
            ln = ln.rstrip(b"\n")
            self.stderr_lines.append(ln.decode(errors="replace"))
            if READY_LINE in ln:
                self.ready_event.set()
        self.ready_event.set()  # EOF: wake waiters, they check the process

    @property
    def pid(self):
        return self.proc.pid

    def wait_ready(self, timeout=DEFAULT_BARRIER_S):
        raise NotImplementedError

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=PROBE_STOP_S):
        """Sends sig, waits for the exit (bounded), then for the end of its output."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.exit_code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.exit_code = None  # did not exit in time
        self.stop_seconds = time.monotonic() - t0
        if self.out is not None:
            self.out.thread.join(timeout=10)
        self.err_thread.join(timeout=10)
        return self.exit_code

    def kill9(self):
        return self.stop(signal.SIGKILL, timeout=10)

    def stderr_tail(self, n=40):
        return "\n".join(list(self.stderr_lines)[-n:])


def stack_of(pid):
    """With GW_GDB_ON_HANG=1 and gdb installed: the threads' stacks of a process that missed a
    barrier while alive (a hang), for the failure report. Empty otherwise."""
    if not os.environ.get("GW_GDB_ON_HANG") or not shutil.which("gdb"):
        return ""
    r = subprocess.run(["gdb", "-q", "-p", str(pid), "-batch", "-ex", "thread apply all bt 30"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    lines = [ln for ln in r.stdout.decode(errors="replace").splitlines() if ln.startswith(("#", "Thread"))]
    return "\nstacks:\n" + "\n".join(lines[:120])


def explain(fol):
    """Context manager: a BarrierTimeout inside gets the follower's exit status and stderr appended."""
    return _Explain(fol)


class _Explain:
    def __init__(self, fol):
        self.fol = fol

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if isinstance(exc, BarrierTimeout) and self.fol.proc is not None:
            alive = self.fol.proc.poll() is None
            raise BarrierTimeout("%s\n%s %s; its stderr (last lines):\n%s%s" % (
                exc, self.fol.name, "still running" if alive else "exited with %s" % self.fol.proc.poll(),
                self.fol.stderr_tail(), stack_of(self.fol.pid) if alive else "")) from None
        return False


class ProbeFollower(Follower):
    """gatewatch_tail_probe: prints delivered lines on stdout, `...: ready` on stderr."""

    name = "probe"

    def __init__(self, procs, paths, binary, state_dir, start_at="beginning", extra=(), **kw):
        super().__init__(procs, paths, **kw)
        self.binary = binary
        self.state_dir = str(state_dir)
        self.start_at = start_at
        self.extra = list(extra)

    def command(self):
        # GW_PROBE_PREFIX (e.g. "gdb -q -batch -ex run -ex bt --args") wraps the probe for debugging.
        prefix = os.environ.get("GW_PROBE_PREFIX", "").split()
        return prefix + [self.binary, "--state-dir", self.state_dir, "--start-at", self.start_at] + self.extra + self.paths

    def wait_ready(self, timeout=DEFAULT_BARRIER_S):
        deadline = time.monotonic() + timeout
        while not self.ready_event.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                break
        if self.ready_event.is_set() and not self.err_thread.is_alive():
            # stderr ended: the process is exiting; let it be reaped so the report has its status
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if not any("gatewatch_tail_probe: ready" in s for s in self.stderr_lines):
            alive = self.proc.poll() is None
            raise BarrierTimeout("the probe did not print 'gatewatch_tail_probe: ready' within %.0f s "
                                 "(%s); its stderr:\n%s%s" % (
                                     timeout, "still running" if alive else "exit code %s" % self.proc.poll(),
                                     self.stderr_tail(), stack_of(self.pid) if alive else ""))


class TailFollower(Follower):
    """GNU `tail -F` (coreutils), the comparison baseline. It has no ready signal: readiness is a
    marker line appended to each followed file that exists and awaited in the output."""

    name = "tail-F"

    def __init__(self, procs, paths, start_at="beginning", **kw):
        super().__init__(procs, paths, **kw)
        self.start_at = start_at
        self.marker_no = 0

    def command(self):
        return ["tail", "-q", "-n", "+1" if self.start_at == "beginning" else "0", "-F"] + self.paths

    def wait_ready(self, timeout=DEFAULT_BARRIER_S):
        for p in self.paths:
            if os.path.exists(p):
                self.marker_no += 1
                tok = "ready-%d-%d" % (os.getpid(), self.marker_no)
                append_marker(p, tok)
                if self.out is not None:
                    self.out.wait_marker(tok, timeout)
                else:
                    want = b"MARK %s\n" % tok.encode()
                    wait_until(lambda: _file_endswith(self.stdout_file, want), timeout,
                               "marker %r in tail's output file" % tok, poll=0.005)


def _file_endswith(path, data):
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        n = f.tell()
        if n < len(data):
            return False
        f.seek(n - len(data))
        return f.read() == data


def append_marker(path, token):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b"MARK %s\n" % token.encode())
    finally:
        os.close(fd)


def probe_path_from_env():
    """The probe binary for the tests: $GW_TAIL_PROBE. A test needing it fails (not skips) when it
    is missing, so CI cannot go green without the follower."""
    p = os.environ.get("GW_TAIL_PROBE", "")
    if not p or not os.access(p, os.X_OK):
        raise AssertionError(
            "gatewatch_tail_probe not found at %r (GW_TAIL_PROBE): build the target gatewatch_tail_probe "
            "(cmake --build BUILD --target gatewatch_tail_probe) before running these tests" % p)
    return p


def make_follower(kind, procs, paths, state_dir=None, start_at="beginning", extra=(), **kw):
    """kind 'probe' or 'tail-F'; the environment GW_FOLLOWER overrides the test's default so the
    harness can be checked against tail -F."""
    if kind == "probe":
        return ProbeFollower(procs, paths, probe_path_from_env(), state_dir, start_at=start_at, extra=extra, **kw)
    if kind == "tail-F":
        return TailFollower(procs, paths, start_at=start_at, **kw)
    raise ValueError("unknown follower kind %r" % kind)


# ---------------------------------------------------------------------------------------------
# The writer (a separate process: `harness.py writer ...`).

class Writer:
    """Handle on a writer process. Its first stdout line is `READY <pid>`; on SIGTERM it appends
    `<id> END <count>` to its current file and prints a JSON report: count, generations."""

    def __init__(self, procs, path, wid="W1", rate=10000.0, reopen_delay=0.2, workdir=None, record=False,
                 batch=1, limit=0):
        self.path = str(path)
        self.wid = wid
        workdir = workdir or os.path.dirname(self.path)
        self.pidfile = os.path.join(workdir, "writer-%s.pid" % wid)
        self.record_path = os.path.join(workdir, "writer-%s.times" % wid) if record else None
        cmd = [sys.executable, os.path.abspath(__file__), "writer", "--path", self.path, "--id", wid,
               "--rate", str(rate), "--reopen-delay", str(reopen_delay), "--pidfile", self.pidfile,
               "--batch", str(batch), "--limit", str(limit)]
        if self.record_path:
            cmd += ["--record", self.record_path]
        self.proc = procs.spawn(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        first = self.proc.stdout.readline()
        if not first.startswith(b"READY"):
            raise AssertionError("writer did not start: %r" % first)
        self.report = None

    def reopen(self):
        """What logrotate's postrotate does to nginx: SIGUSR1."""
        self.proc.send_signal(signal.SIGUSR1)

    def stop(self):
        """Stops the writer; returns its report {count, gens: [[gen, first_seq, reopen_t_ns]...]}."""
        if self.report is None:
            self.proc.send_signal(signal.SIGTERM)
            out, _ = self.proc.communicate(timeout=30)
            self.report = json.loads(out.decode().strip().splitlines()[-1])
        return self.report

    def wait_done(self, timeout=600):
        """For a writer with --limit: waits until it has written everything and exited."""
        out, _ = self.proc.communicate(timeout=timeout)
        self.report = json.loads(out.decode().strip().splitlines()[-1])
        return self.report

    def times(self):
        """Write timestamps (monotonic ns) per sequence number, from --record."""
        a = array.array("q")
        with open(self.record_path, "rb") as f:
            a.frombytes(f.read())
        return a


def writer_main(argv):
    ap = argparse.ArgumentParser(prog="harness.py writer")
    ap.add_argument("--path", required=True)
    ap.add_argument("--id", default="W1")
    ap.add_argument("--rate", type=float, default=10000.0, help="lines/s; 0 = as fast as possible")
    ap.add_argument("--reopen-delay", type=float, default=0.2, help="seconds from SIGUSR1 to reopen")
    ap.add_argument("--pidfile")
    ap.add_argument("--batch", type=int, default=1, help="lines per write(2); nginx without buffer= writes 1")
    ap.add_argument("--limit", type=int, default=0, help="stop by itself after this many lines (0: on SIGTERM)")
    ap.add_argument("--record", help="write the monotonic ns of each line here at exit (int64 array)")
    ap.add_argument("--fast", action="store_true",
                    help="throughput mode: write --batch lines per write(2) from a pre-built block as fast as "
                         "possible; sequence numbers repeat modulo the block, only the count is meaningful")
    a = ap.parse_args(argv)
    if a.fast:
        return fast_writer(a)

    state = {"stop": False, "reopen_at": None}

    def on_usr1(_s, _f):
        # nginx reopens once per signal; a second signal before the reopen changes nothing.
        if state["reopen_at"] is None:
            state["reopen_at"] = time.monotonic() + a.reopen_delay

    def on_term(_s, _f):
        state["stop"] = True

    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    def open_log():
        return os.open(a.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    fd = open_log()
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    sys.stdout.write("READY %d\n" % os.getpid())
    sys.stdout.flush()

    wid = a.id.encode()
    seq = 0
    gen = 1
    gens = [[1, 0, time.monotonic_ns()]]
    rec = array.array("q") if a.record else None
    t0 = time.monotonic()
    # At most this many lines per loop turn, so a writer that fell behind stays responsive to signals.
    max_burst = 2000
    while not state["stop"]:
        now = time.monotonic()
        if state["reopen_at"] is not None and now >= state["reopen_at"]:
            os.close(fd)
            fd = open_log()
            gen += 1
            gens.append([gen, seq, time.monotonic_ns()])
            state["reopen_at"] = None
        if a.rate > 0:
            due = int((now - t0) * a.rate) + 1
            n = min(due - seq, max_burst)
            if n <= 0:
                wake = t0 + (seq / a.rate)
                if state["reopen_at"] is not None:
                    wake = min(wake, state["reopen_at"])
                time.sleep(max(0.0, min(wake - time.monotonic(), 0.001)))
                continue
        else:
            n = max_burst
        if a.limit:
            n = min(n, a.limit - seq)
        while n > 0:
            k = min(n, a.batch)
            t = time.monotonic_ns()
            if k == 1:
                buf = b"%s %d g=%d t=%d %s\n" % (wid, seq, gen, t, PAD_B)
            else:
                buf = b"".join(b"%s %d g=%d t=%d %s\n" % (wid, seq + i, gen, t, PAD_B) for i in range(k))
            os.write(fd, buf)
            if rec is not None:
                rec.extend([t] * k)
            seq += k
            n -= k
        if a.limit and seq >= a.limit:
            break
    os.write(fd, b"%s END %d\n" % (wid, seq))
    os.close(fd)
    if rec is not None:
        with open(a.record, "wb") as f:
            rec.tofile(f)
    sys.stdout.write(json.dumps({"count": seq, "gens": gens}) + "\n")
    sys.stdout.flush()
    return 0


def fast_writer(a):
    """Appends --limit lines, --batch per write(2), from a pre-built block: the writer costs next to
    nothing, so a throughput run measures the follower, not Python's line formatting."""
    block_lines = 4096
    batch = max(1, min(a.batch, block_lines))
    block = [b"%s %d g=1 t=0 %s\n" % (a.id.encode(), i, PAD_B) for i in range(block_lines)]
    chunks = [b"".join(block[i:i + batch]) for i in range(0, block_lines, batch)]
    fd = os.open(a.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    sys.stdout.write("READY %d\n" % os.getpid())
    sys.stdout.flush()
    go = sys.stdin.readline()  # the bench says when to start, after sampling the follower's CPU
    del go
    t0 = time.monotonic_ns()
    seq = 0
    i = 0
    while seq < a.limit:
        c = chunks[i % len(chunks)]
        n = c.count(b"\n")
        if seq + n > a.limit:  # the last, partial chunk
            n = a.limit - seq
            c = b"".join(block[:n])
        os.write(fd, c)
        seq += n
        i += 1
    t1 = time.monotonic_ns()
    os.write(fd, b"%s END %d\n" % (a.id.encode(), seq))
    os.close(fd)
    sys.stdout.write(json.dumps({"count": seq, "gens": [[1, 0, t0]], "write_start_ns": t0, "write_end_ns": t1})
                     + "\n")
    sys.stdout.flush()
    return 0


# ---------------------------------------------------------------------------------------------
# logrotate.

def secure_dir(path):
    """logrotate refuses configs and log directories writable by group or others."""
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o755)
    return path


def require_tool(name, package):
    """A missing tool fails the test with the fix, rather than skipping it."""
    path = shutil.which(name) or next((p for p in ("/usr/sbin/" + name, "/sbin/" + name) if os.access(p, os.X_OK)),
                                      None)
    if not path:
        raise AssertionError("%s not found: install the Debian package %s (apt-get install %s)" % (
            name, package, package))
    return path


class LogRotate:
    """Real logrotate with its own config (0644 in a 0755 dir) and state file, forced with -f."""

    def __init__(self, workdir, conf_text, name="logrotate"):
        self.binary = require_tool("logrotate", "logrotate")
        d = secure_dir(os.path.join(workdir, name))
        self.conf = os.path.join(d, "rotate.conf")
        self.state = os.path.join(d, "state")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        os.chmod(self.conf, 0o644)
        self.runs = []  # (start_ns, end_ns) per run

    def run(self):
        t0 = time.monotonic_ns()
        r = subprocess.run([self.binary, "-f", "-s", self.state, self.conf], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        t1 = time.monotonic_ns()
        if r.returncode != 0:
            raise AssertionError("logrotate failed (exit %d):\n%s\nconfig:\n%s" % (
                r.returncode, r.stdout.decode(errors="replace"), open(self.conf).read()))
        self.runs.append((t0, t1))
        return t0, t1


def rotate_conf(log, mode, pidfile=None):
    """A logrotate config for one rotation mode:
       create        rename + create, postrotate sends USR1 to the writer (nginx-style reopen)
       compress      the same with compress + delaycompress (Debian's nginx settings)
       storm         rename + create with no postrotate: the test rotates twice, then signals
       copytruncate  copy then truncate in place; the writer never reopens
    """
    lines = ['"%s" {' % log, "    missingok", "    ifempty"]
    if mode in ("create", "compress", "storm"):
        lines += ["    create 0644", "    rotate %d" % (14 if mode == "compress" else 60)]
        if mode == "compress":
            lines += ["    compress", "    delaycompress"]
        if mode != "storm":
            lines += ["    postrotate", '        kill -USR1 "$(cat "%s")"' % pidfile, "    endscript"]
    elif mode == "copytruncate":
        lines += ["    copytruncate", "    rotate 60"]
    else:
        raise ValueError(mode)
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Checking delivered lines against what was written.

def ranges(seqs, limit=12):
    out = []
    start = prev = None
    for s in seqs:
        if start is None:
            start = prev = s
        elif s == prev + 1:
            prev = s
        else:
            out.append((start, prev))
            start = prev = s
    if start is not None:
        out.append((start, prev))
    txt = ["%d-%d" % r if r[0] != r[1] else "%d" % r[0] for r in out[:limit]]
    if len(out) > limit:
        txt.append("... (%d ranges)" % len(out))
    return ",".join(txt)


def check(runs, wid, written):
    """Checks the lines of writer `wid` delivered by one or more follower runs (Outputs, in the order
    they ran) against `written` lines (0..written-1).

    Returns a dict: written, delivered, lost, lost_seqs, duplicates, dup_seqs, order_errors (a line
    delivered after a later line of the same file within one run), cross_file_reorders (a line of an
    older file delivered after a line of a newer one: allowed, counted), odd (lines not in the
    writer's format, e.g. torn or joined), out_of_range.
    """
    count = bytearray(written)
    dups = []
    order_errors = []
    cross = 0
    out_of_range = 0
    delivered = 0
    for out in runs:
        seqs = out.seqs.get(wid, array.array("q"))
        gens = out.gens.get(wid, array.array("i"))
        last_in_gen = {}
        max_gen_seen = 0
        for s, g in zip(seqs, gens):
            delivered += 1
            if not 0 <= s < written:
                out_of_range += 1
                continue
            if count[s]:
                dups.append(s)
            if count[s] < 255:
                count[s] += 1
            prev = last_in_gen.get(g)
            if prev is not None and s <= prev and len(order_errors) < 20:
                order_errors.append((g, prev, s))
            last_in_gen[g] = s
            if g < max_gen_seen:
                cross += 1
            max_gen_seen = max(max_gen_seen, g)
    lost = [s for s in range(written) if not count[s]]
    return {
        "written": written, "delivered": delivered, "lost": len(lost), "lost_seqs": lost,
        "lost_ranges": ranges(lost), "duplicates": len(dups), "dup_seqs": sorted(dups),
        "dup_ranges": ranges(sorted(set(dups))), "order_errors": order_errors, "cross_file_reorders": cross,
        "odd": sum(o.odd_count for o in runs),
        "odd_examples": [x.decode(errors="replace") for o in runs for x in o.odd][:5],
        "out_of_range": out_of_range,
    }


def brief(res):
    return "written=%d delivered=%d lost=%d [%s] dup=%d [%s] order_errors=%s odd=%d %s" % (
        res["written"], res["delivered"], res["lost"], res["lost_ranges"], res["duplicates"], res["dup_ranges"],
        res["order_errors"][:3], res["odd"], res["odd_examples"][:2])


def seqs_in_file(path):
    """Sequence numbers found in a log file on disk (plain or .gz), for copytruncate's window."""
    import gzip
    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rb") as f:
        for ln in f:
            p = ln.split(b" ", 2)
            if len(p) == 3 and p[1].isdigit():
                out.append(int(p[1]))
    return out


# ---------------------------------------------------------------------------------------------
# A rotation run: writer at a set rate, N rotations by real logrotate, follower under test.

def run_rotation(kind, mode, workdir, rotations=20, rate=10000.0, lines_between=4000, reopen_delay=0.2,
                 follower_extra=(), verbose=False):
    """Runs one rotation scenario and returns check()'s result plus details:
    mode in create | compress | storm | copytruncate. Rotation i is done once the follower has
    delivered `lines_between` lines past rotation i-1 and (rename modes) a line of the writer's
    newest file, so every rotation rotates a file the writer really wrote to."""
    logs = secure_dir(os.path.join(workdir, "logs"))
    log = os.path.join(logs, "access.log")
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(log, "wb"):
        pass
    os.chmod(log, 0o644)
    result = {"follower": kind, "mode": mode, "rotations": rotations, "rate": rate}
    with Processes() as procs:
        fol = make_follower(kind, procs, [log], state_dir=state, extra=follower_extra)
        fol.start()
        fol.wait_ready()
        w = Writer(procs, log, "W1", rate=rate, reopen_delay=reopen_delay, workdir=workdir,
                   record=(mode == "copytruncate"))
        out = fol.out
        rot = LogRotate(workdir, rotate_conf(log, mode, w.pidfile))
        mark = 0
        gen = 1
        t_start = time.monotonic()
        try:
            with explain(fol):
                for i in range(rotations):
                    out.wait_seq("W1", mark + lines_between)
                    if mode != "copytruncate":
                        out.wait_gen("W1", gen)
                    mark = out.max_seq["W1"]
                    rot.run()
                    if mode == "storm":
                        rot.run()  # a second rename before the writer reopened
                        w.reopen()
                    if mode != "copytruncate":
                        gen += 1
                    if verbose:
                        print("rotation %d at seq %d" % (i + 1, mark), flush=True)
                out.wait_seq("W1", mark + lines_between)
                if mode != "copytruncate":
                    out.wait_gen("W1", gen)
                rep = w.stop()
                written = rep["count"]
                out.wait_end("W1")
                # Everything the follower will ever deliver should be there once the END line is; give
                # lines of older files a bounded moment to arrive (tail -F never delivers its losses).
                try:
                    out.wait(lambda o: o.distinct("W1", written) >= written, "all %d lines" % written, timeout=5)
                except BarrierTimeout:
                    pass
        finally:
            elapsed = time.monotonic() - t_start
            if fol.alive():
                fol.stop()
        res = check([out], "W1", written)
        res.update(result)
        res["elapsed_s"] = round(elapsed, 2)
        res["exit_code"] = fol.exit_code
        res["stop_s"] = round(fol.stop_seconds or 0, 3)
        res["gens"] = len(rep["gens"])
        res["stderr_tail"] = fol.stderr_tail(20)
        if mode == "copytruncate":
            res.update(copytruncate_windows(logs, w.times(), rot.runs, res["lost_seqs"], written))
        return res


def copytruncate_windows(logs, times, runs, lost, written):
    """Measures copytruncate's own loss window and places the follower's losses in it.

    On disk: each copy access.log.K holds a contiguous run of sequence numbers; the lines between
    one copy's last line and the next content's first line were appended after logrotate's copy
    reached EOF and before its truncate: destroyed on disk. Their count and the time between their
    neighbours' writes is the measured copy->truncate window.

    Follower: a lost line is inside the window when its write overlapped the logrotate run that
    copied and truncated (write started before the run ended, next write started after it began).
    """
    copies = sorted((f for f in os.listdir(logs) if re.fullmatch(r"access\.log\.\d+", f)),
                    key=lambda f: -int(f.rsplit(".", 1)[1]))
    on_disk = bytearray(written)
    for f in copies + ["access.log"]:
        for s in seqs_in_file(os.path.join(logs, f)):
            if 0 <= s < written:
                on_disk[s] = 1
    disk_lost = [s for s in range(written) if not on_disk[s]]
    # group disk losses per rotation by the logrotate run they fall into
    windows = []
    for (t0, t1) in runs:
        in_run = [s for s in disk_lost if t0 <= times[s] <= t1]
        windows.append(in_run)
    gaps = []
    for grp in _groups(disk_lost):
        lo, hi = grp[0], grp[-1]
        before = times[lo - 1] if lo > 0 else times[lo]
        after = times[hi + 1] if hi + 1 < written else times[hi]
        gaps.append({"lines": len(grp), "window_us": round((after - before) / 1000.0, 1)})

    def in_window(s):
        start = times[s]
        end = times[s + 1] if s + 1 < written else start
        return any(start <= t1 and end >= t0 for (t0, t1) in runs)

    outside = [s for s in lost if not in_window(s)]
    run_ms = [round((t1 - t0) / 1e6, 2) for (t0, t1) in runs]
    return {
        "disk_lost": len(disk_lost), "disk_windows": gaps,
        "logrotate_run_ms_max": max(run_ms) if run_ms else 0,
        "logrotate_run_ms_median": sorted(run_ms)[len(run_ms) // 2] if run_ms else 0,
        "lost_outside_window": len(outside), "lost_outside_ranges": ranges(outside),
        "follower_lost_in_window": len(lost) - len(outside),
    }


def _groups(sorted_seqs):
    grp = []
    for s in sorted_seqs:
        if grp and s != grp[-1] + 1:
            yield grp
            grp = []
        grp.append(s)
    if grp:
        yield grp


# ---------------------------------------------------------------------------------------------
# nginx.

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nginx:
    """Debian's nginx-light in a private prefix: own config, `-e` error log, temp paths inside the
    prefix, 127.0.0.1 on a free port, master in the foreground (daemon off) so the test owns it.
    As root the workers run as www-data (the `user` directive), so the log directory belongs to
    www-data: after USR1 the workers reopen the log themselves and must be able to create it."""

    def __init__(self, procs, prefix):
        self.prefix = secure_dir(prefix)
        self.logs = secure_dir(os.path.join(prefix, "logs"))
        self.access_log = os.path.join(self.logs, "access.log")
        self.pidfile = os.path.join(prefix, "nginx.pid")
        self.conf = os.path.join(prefix, "nginx.conf")
        self.procs = procs
        self.proc = None
        self.port = None
        self.as_root = os.geteuid() == 0
        if self.as_root:
            import pwd
            pw = pwd.getpwnam("www-data")
            os.chown(self.logs, pw.pw_uid, pw.pw_gid)
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            secure_dir(os.path.join(prefix, "tmp", d))

    def config(self, port):
        p = self.prefix
        return """%(user)s
worker_processes 2;
daemon off;
master_process on;
pid %(p)s/nginx.pid;
error_log %(p)s/logs/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path %(p)s/tmp/client_body;
    proxy_temp_path %(p)s/tmp/proxy;
    fastcgi_temp_path %(p)s/tmp/fastcgi;
    uwsgi_temp_path %(p)s/tmp/uwsgi;
    scgi_temp_path %(p)s/tmp/scgi;
    access_log %(p)s/logs/access.log;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:%(port)d;
        location / { return 200 "ok\\n"; }
    }
}
""" % {"p": p, "port": port, "user": "user www-data;" if self.as_root else ""}

    def start(self, attempts=5):
        nginx = require_tool("nginx", "nginx-light")
        require_tool("start-stop-daemon", "dpkg")  # Debian's postrotate uses it
        last = ""
        for _ in range(attempts):
            port = free_port()
            with open(self.conf, "w") as f:
                f.write(self.config(port))
            proc = self.procs.spawn([nginx, "-p", self.prefix, "-c", self.conf, "-e",
                                     os.path.join(self.logs, "error.log")],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    self.proc, self.port = proc, port
                    wait_until(lambda: os.path.exists(self.pidfile), 10, "nginx's pid file")
                    return self
                except OSError:
                    time.sleep(0.02)
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            last = proc.stdout.read().decode(errors="replace")
        raise AssertionError("nginx did not start in %d attempts; its output:\n%s" % (attempts, last))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers finish, logs flushed
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def debian_nginx_logrotate_conf(logs_dir, nginx_conf, pidfile, prerotate_dir, as_root):
    """Debian's /etc/logrotate.d/nginx (nginx-common), verbatim but for the paths: the glob is the
    test's log directory, the pid comes from the test's nginx.conf (default: its pid file), and
    the httpd-prerotate directory is the test's. As non-root, `create` keeps the file's owner."""
    create = "create 0640 www-data adm" if as_root else "create 0640"
    return """%(logs)s/*.log {
\tdaily
\tmissingok
\trotate 14
\tcompress
\tdelaycompress
\tnotifempty
\t%(create)s
\tsharedscripts
\tprerotate
\t\tif [ -d %(pre)s ]; then \\
\t\t\trun-parts %(pre)s; \\
\t\tfi \\
\tendscript
\tpostrotate
\t\tPID=$(awk 'BEGIN { RS="[;{}]" } { if ($1 == "pid") { print $2; exit; } }' %(conf)s)
\t\tstart-stop-daemon --stop --signal USR1 --quiet --pidfile ${PID:-%(pid)s} --name nginx
\tendscript
}
""" % {"logs": logs_dir, "create": create, "pre": prerotate_dir, "conf": nginx_conf, "pid": pidfile}


# ---------------------------------------------------------------------------------------------
# Test plumbing.

def workdir(prefix):
    """A fresh directory for one test, traversable by nginx's workers, removed by the caller."""
    d = tempfile.mkdtemp(prefix="gw-%s-" % prefix)
    os.chmod(d, 0o755)
    return d


class Watchdog:
    """Raises TimeoutError in the main thread after `seconds` so a stuck test fails, with its
    processes stopped by the surrounding cleanup, before CI's hard timeout kills everything."""

    def __init__(self, seconds, what):
        self.seconds = seconds
        self.what = what

    def __enter__(self):
        def fire(_s, _f):
            raise TimeoutError("%s did not finish within %d s" % (self.what, self.seconds))
        self.old = signal.signal(signal.SIGALRM, fire)
        signal.alarm(int(self.seconds))
        return self

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.old)
        return False


def term_as_exception():
    """ctest (or a user) stopping the test with SIGTERM runs the cleanup paths like a failure."""
    def on_term(_s, _f):
        raise SystemExit("terminated by SIGTERM")
    signal.signal(signal.SIGTERM, on_term)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "writer":
        sys.exit(writer_main(sys.argv[2:]))
    print("usage: harness.py writer --path FILE [--id W1] [--rate 10000] [--reopen-delay 0.2] ...",
          file=sys.stderr)
    sys.exit(2)
