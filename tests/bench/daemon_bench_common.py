#!/usr/bin/env python3
"""Shared pieces of the daemon benchmarks (tests/bench/daemon_*.py): a paced access-log writer in a
process of its own, and /proc readings of the daemon (CPU, RSS).

The writer appends lines in the incident server's log_format (tests/e2e/e2e.py LOG_FORMAT) stamped
with the current time, spread over N distinct paths, ~0.5 % of them 502 answers from the upstream.
It writes pre-built blocks (the timestamp substituted once a second), so one Python process keeps
up with hundreds of thousands of lines/s and the figures measure gatewatch, not the writer. It is
driven over stdin: `rate R` (lines/s), `count` (answers `count N`), `stop` (answers `count N`, exits).

Python standard library only. Figures go to stdout as text and, with --json, as one JSON line.
"""
import os
import subprocess
import sys
import threading
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2e  # noqa: E402
from e2e import harness  # noqa: E402

TIME_PLACEHOLDER = b"@" * 26  # "25/Nov/2026:20:13:19 +0000"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
UA = ("Mozilla/5.0 (Linux; Android 12; SM-G991N) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/107.0.5304.105 Mobile Safari/537.36")
# Healthy lines per path in the pre-built block.
BLOCK_LINES_PER_PATH = 4
# At most this many lines per write(2): big writes keep the writer cheap; nginx with `buffer=64k`
# writes ~250 lines at once, so the follower sees realistic chunks.
MAX_LINES_PER_WRITE = 256
# One 502 in this many lines (~0.5 %): background noise, below every default threshold.
FAIL_EVERY = 199


def local_time_field(t):
    lt = time.localtime(t)
    off = lt.tm_gmtoff // 60
    sign = "+" if off >= 0 else "-"
    off = abs(off)
    return ("%02d/%s/%04d:%02d:%02d:%02d %s%02d%02d" % (lt.tm_mday, MONTHS[lt.tm_mon - 1], lt.tm_year, lt.tm_hour,
                                                        lt.tm_min, lt.tm_sec, sign, off // 60, off % 60)).encode()


def _line(i, path, fail):
    status, up_time, size = (b"502", b"0.000", b"157") if fail else (b"200", b"0.004", b"612")
    return (b'10.%d.%d.%d - - [%s] "GET /api/v1/item/%05d?ride=42 HTTP/1.1" %s %s "-" "%s" %s '
            b'upstream=127.0.0.1:8080 upstream_status=%s upstream_time=%s\n' % (
                (i >> 16) & 255, (i >> 8) & 255, i & 255, TIME_PLACEHOLDER, path, status, size, UA.encode(),
                up_time, status, up_time))


def build_block(paths):
    """The healthy lines (paths cycling) and their byte offsets, and one 502 line per path."""
    lines = [_line(i, i % paths, False) for i in range(paths * BLOCK_LINES_PER_PATH)]
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    return b"".join(lines), offsets, [_line(p, p, True) for p in range(paths)]


def writer_main(argv):
    """`daemon_bench_common.py writer --path FILE --paths N [--rate R]`."""
    path = argv[argv.index("--path") + 1]
    paths = int(argv[argv.index("--paths") + 1])
    rate = float(argv[argv.index("--rate") + 1]) if "--rate" in argv else 0.0
    template, offsets, fail_templates = build_block(paths)
    nlines = len(offsets) - 1
    stamp = None
    fails = []
    # The 502s go round the paths, one every FAIL_EVERY lines: each path's own failure share is
    # the background ~0.5 %, below the default rules' thresholds.
    since_fail = 0
    fail_path = 0
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    state = {"rate": rate, "t0": time.monotonic(), "base": 0, "stop": False}
    lock = threading.Lock()
    written = [0]

    def control():
        for ln in sys.stdin:
            cmd = ln.split()
            if not cmd:
                continue
            with lock:
                if cmd[0] == "rate":
                    state["rate"] = float(cmd[1])
                    state["t0"] = time.monotonic()
                    state["base"] = written[0]
                elif cmd[0] == "count":
                    sys.stdout.write("count %d\n" % written[0])
                    sys.stdout.flush()
                elif cmd[0] == "stop":
                    state["stop"] = True
                    return
        with lock:
            state["stop"] = True

    threading.Thread(target=control, daemon=True).start()
    sys.stdout.write("READY %d\n" % os.getpid())
    sys.stdout.flush()
    sec = None
    block = template
    pos = 0
    while True:
        with lock:
            if state["stop"]:
                break
            r, t0, base = state["rate"], state["t0"], state["base"]
        now = time.time()
        if int(now) != sec:
            sec = int(now)
            stamp = local_time_field(now)
            block = template.replace(TIME_PLACEHOLDER, stamp)
            fails = [None] * len(fail_templates)
        due = int((time.monotonic() - t0) * r) - (written[0] - base) if r > 0 else 0
        if due <= 0:
            time.sleep(0.002)
            continue
        while due > 0:
            k = min(due, MAX_LINES_PER_WRITE, nlines - pos, FAIL_EVERY - 1 - since_fail)
            if k > 0:
                os.write(fd, block[offsets[pos]:offsets[pos + k]])
                pos = (pos + k) % nlines
                since_fail += k
            else:
                if fails[fail_path] is None:
                    fails[fail_path] = fail_templates[fail_path].replace(TIME_PLACEHOLDER, stamp)
                os.write(fd, fails[fail_path])
                fail_path = (fail_path + 1) % len(fail_templates)
                since_fail = 0
                k = 1
            due -= k
            with lock:
                written[0] += k
            if time.time() >= sec + 1:  # a new second: restamp before writing on
                break
    os.close(fd)
    sys.stdout.write("count %d\n" % written[0])
    sys.stdout.flush()
    return 0


class LogWriter:
    """Handle on a writer process (optionally pinned to one CPU)."""

    def __init__(self, procs, path, paths, rate=0.0, cpu=None):
        cmd = [sys.executable, os.path.abspath(__file__), "writer", "--path", path, "--paths", str(paths),
               "--rate", str(rate)]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu)] + cmd
        self.proc = procs.spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        first = self.proc.stdout.readline()
        if not first.startswith(b"READY"):
            raise AssertionError("the writer did not start: %r" % first)

    def _cmd(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def set_rate(self, rate):
        self._cmd("rate %g" % rate)

    def count(self):
        self._cmd("count")
        ln = self.proc.stdout.readline().split()
        return int(ln[1])

    def stop(self):
        self._cmd("stop")
        ln = self.proc.stdout.readline().split()
        self.proc.wait(timeout=10)
        return int(ln[1])


def rss_kib(pid):
    """(VmRSS, VmHWM) in KiB from /proc/PID/status."""
    rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                rss = int(ln.split()[1])
            elif ln.startswith("VmHWM:"):
                hwm = int(ln.split()[1])
    return rss, hwm


def run_queue_wait_ns(pid):
    """Time all threads of pid spent runnable but waiting for a CPU (/proc/PID/task/*/schedstat,
    second field): on a shared machine, the share of the core others took from the daemon."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[1])
        except FileNotFoundError:
            pass
    return total


def machine():
    """One line about the machine: CPU model, cores, memory, kernel."""
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    model = ln.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except OSError:
        mem = 0
    return "%s, %d cores, %d MiB, Linux %s" % (model, os.cpu_count(), mem, os.uname().release)


def gatewatch_from_args(argv):
    """--gatewatch PATH or $GW_GATEWATCH."""
    if "--gatewatch" in argv:
        os.environ["GW_GATEWATCH"] = argv[argv.index("--gatewatch") + 1]
    return e2e.gatewatch_binary()


def default_rules(group_by):
    """The two default rules with their default thresholds (docs/configuration.md), grouped by
    `group_by` (the consecutive rule also by upstream, as its default is)."""
    return [
        {"name": "upstream-down", "kind": "consecutive", "statuses": [502, 504], "count": 3, "within": "30m",
         "window": "60s", "quiet_below": 20, "group_by": group_by + ["upstream"]},
        {"name": "upstream-failure-rate", "kind": "ratio", "statuses": [502, 503, 504], "window": "60s",
         "min_requests": 20, "ratio": 0.05, "count": 10, "group_by": group_by},
    ]


def file_source_config(d, listen, rules=None, extra=""):
    """A config following <d>/logs/access.log and error.log (created empty, start_at: end)."""
    logs = harness.secure_dir(os.path.join(d, "logs"))
    access = os.path.join(logs, "access.log")
    error = os.path.join(logs, "error.log")
    for p in (access, error):
        open(p, "ab").close()
    state = harness.secure_dir(os.path.join(d, "state"))
    cfg = e2e.write_config(os.path.join(d, "gatewatch.yaml"), source="bench", access_log=access, error_log=error,
                           state_dir=state, listen=listen, secret_env=None, rules=rules,
                           start_at="end", extra=extra)
    return cfg, access


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "writer":
        sys.exit(writer_main(sys.argv[2:]))
    print("usage: daemon_bench_common.py writer --path FILE --paths N [--rate R]", file=sys.stderr)
    sys.exit(2)
