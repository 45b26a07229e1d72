#!/usr/bin/env python3
"""Idle CPU of `gatewatch run`: one source whose access and error logs exist and stay quiet, the
default rules, one webhook sink to a loopback receiver, the status server on. After the daemon is
ready and has settled (--settle s), its CPU time over --seconds (default 60) is read from
/proc/PID/stat (utime + stime, 10 ms ticks) and, finer, from /proc/PID/task/*/schedstat; its
wake-ups from the threads' voluntary context switches.

  python3 tests/bench/daemon_idle_cpu.py --gatewatch BUILD/daemon/gatewatch [--seconds 60] [--json]
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
    seconds = arg(argv, "--seconds", 60.0)
    settle = arg(argv, "--settle", 5.0)
    d = harness.workdir("bench-idle")
    receiver = e2e.WebhookReceiver()
    try:
        with harness.Processes() as procs:
            listen = "127.0.0.1:%d" % harness.free_port()
            cfg, _ = common.file_source_config(d, listen)
            gw = e2e.Gatewatch(procs, binary, cfg, listen, os.path.join(d, "gatewatch.log"),
                               webhook_url=receiver.url).start()
            time.sleep(settle)  # start-up work (warm-up, first checkpoint) is not idling
            pid = gw.pid
            ticks0 = harness.proc_cpu_seconds(pid)
            ns0 = harness.proc_cpu_ns(pid)
            vol0, invol0 = harness.proc_context_switches(pid)
            threads = len(os.listdir("/proc/%d/task" % pid))
            t0 = time.monotonic()
            time.sleep(seconds)
            elapsed = time.monotonic() - t0
            ticks1 = harness.proc_cpu_seconds(pid)
            ns1 = harness.proc_cpu_ns(pid)
            vol1, invol1 = harness.proc_context_switches(pid)
            rss, hwm = common.rss_kib(pid)
            load = harness.loadavg()
            rc = gw.stop()
    finally:
        receiver.close()
        shutil.rmtree(d, ignore_errors=True)
    res = {
        "bench": "idle_cpu", "seconds": round(elapsed, 1),
        "cpu_s_stat": round(ticks1 - ticks0, 3), "cpu_pct_stat": round(100 * (ticks1 - ticks0) / elapsed, 4),
        "cpu_ms_schedstat": round((ns1 - ns0) / 1e6, 2), "cpu_pct_schedstat": round(100 * (ns1 - ns0) / 1e9 / elapsed, 4),
        "wakeups_per_s": round((vol1 - vol0) / elapsed, 2), "involuntary_switches": invol1 - invol0,
        "threads": threads, "rss_kib": rss, "loadavg": load, "exit_code": rc, "machine": common.machine(),
    }
    print("gatewatch idle over %.0f s: CPU %.3f s by /proc/PID/stat (%.4f %%), %.1f ms by schedstat (%.4f %%), "
          "%.2f wake-ups/s across %d threads, RSS %d KiB; load %.2f; SIGTERM exit %s" % (
              elapsed, res["cpu_s_stat"], res["cpu_pct_stat"], res["cpu_ms_schedstat"], res["cpu_pct_schedstat"],
              res["wakeups_per_s"], threads, rss, load, rc))
    if "--json" in argv:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
