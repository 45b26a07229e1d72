#!/usr/bin/env python3
"""Real nginx: Debian's nginx-light, started by the test in its own prefix on 127.0.0.1, serves a
bounded number of requests from a Python client while logrotate, with Debian's own nginx settings
(daily, rotate 14, compress, delaycompress, notifempty, create 0640 www-data adm, sharedscripts,
postrotate USR1 via start-stop-daemon and the pid file), rotates its access log several times.
The followed line count must equal the requests sent, each request exactly once.
"""
import http.client
import os
import re
import shutil
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FOLLOWER = os.environ.get("GW_FOLLOWER", "probe")
CLIENTS = 2
REQUESTS_PER_CLIENT = 10000
ROTATIONS = 5
REQUEST_RE = re.compile(rb'"GET /r\?c=(\d+)-(\d+) HTTP/1\.1" 200 ')
MARK_RE = re.compile(rb'"GET /__mark__/([\w-]+) HTTP/1\.1"')


def parse_nginx_line(ln):
    """combined-format access log line -> (client id, request number, 0) or ("MARK", token)."""
    m = REQUEST_RE.search(ln)
    if m:
        return "C%d" % int(m.group(1)), int(m.group(2)), 0
    m = MARK_RE.search(ln)
    if m:
        return "MARK", m.group(1).decode()
    return None


def client(port, cid, n, result):
    """One keep-alive connection sending n requests; counts the 200 answers."""
    ok = 0
    errors = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for i in range(n):
            conn.request("GET", "/r?c=%d-%d" % (cid, i))
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                ok += 1
            else:
                errors.append(r.status)
    except Exception as e:  # reported by the test
        errors.append(repr(e))
    finally:
        conn.close()
    result[cid] = (ok, errors[:5])


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


class RealNginx(unittest.TestCase):
    def test_followed_lines_equal_requests_across_debian_logrotate(self):
        d = harness.workdir("nginx")
        try:
            with harness.Processes() as procs, harness.Watchdog(110, "real nginx scenario"):
                nginx = harness.Nginx(procs, os.path.join(d, "nginx")).start()
                state = os.path.join(d, "state")
                os.makedirs(state)
                fol = harness.make_follower(FOLLOWER, procs, [nginx.access_log], state_dir=state,
                                            parser=parse_nginx_line)
                fol.start()
                fol.wait_ready()
                conf = harness.debian_nginx_logrotate_conf(nginx.logs, nginx.conf, nginx.pidfile,
                                                           os.path.join(d, "httpd-prerotate"), nginx.as_root)
                rot = harness.LogRotate(d, conf)
                out = fol.out
                results = {}
                threads = [threading.Thread(target=client, args=(nginx.port, c, REQUESTS_PER_CLIENT, results))
                           for c in range(CLIENTS)]
                for t in threads:
                    t.start()
                total = CLIENTS * REQUESTS_PER_CLIENT
                step = total // (ROTATIONS + 1)
                try:
                    for k in range(1, ROTATIONS + 1):
                        # rotate under traffic, each time after the follower saw `step` more requests
                        out.wait(lambda o: sum(len(v) for v in o.seqs.values()) >= k * step,
                                 "%d requests in the followed log before rotation %d" % (k * step, k))
                        rot.run()
                finally:
                    for t in threads:
                        t.join(timeout=60)
                sent = sum(ok for ok, _ in results.values())
                errors = [e for _, errs in results.values() for e in errs]
                self.assertEqual(errors, [], "requests failed")
                self.assertEqual(sent, total)
                self.assertEqual(get(nginx.port, "/__mark__/done"), 200)
                out.wait_marker("done")
                try:
                    out.wait(lambda o: sum(o.distinct("C%d" % c, REQUESTS_PER_CLIENT) for c in range(CLIENTS))
                             >= total, "all %d requests in the followed log" % total, timeout=15)
                except harness.BarrierTimeout:
                    pass
                rotated = sorted(f for f in os.listdir(nginx.logs) if f.startswith("access.log."))
                nginx.stop()
                rc = fol.stop()
        finally:
            if not os.environ.get("GW_KEEP"):
                shutil.rmtree(d, ignore_errors=True)
        lost = dup = followed = 0
        details = []
        for c in range(CLIENTS):
            r = harness.check([out], "C%d" % c, REQUESTS_PER_CLIENT)
            lost += r["lost"]
            dup += r["duplicates"]
            followed += r["delivered"]
            if r["lost"] or r["duplicates"]:
                details.append("client %d: %s" % (c, harness.brief(r)))
        print("%s nginx: requests sent %d, followed lines %d, lost %d, duplicated %d, rotated files %s, "
              "other lines %d" % (FOLLOWER, sent, followed, lost, dup, rotated, out.odd_count), flush=True)
        ctx = "\n%s\nfollower stderr:\n%s" % ("\n".join(details), fol.stderr_tail())
        self.assertGreaterEqual(len(rotated), ROTATIONS, "logrotate should have rotated %d times: %s" % (
            ROTATIONS, rotated))
        self.assertTrue(any(f.endswith(".gz") for f in rotated), "delaycompress should have compressed")
        self.assertEqual(lost, 0, "requests missing from the followed log" + ctx)
        self.assertEqual(dup, 0, "requests followed twice" + ctx)
        self.assertEqual(followed, sent, ctx)
        self.assertEqual(out.odd_count, 0, "unexpected lines: %s%s" % (out.odd[:3], ctx))
        if FOLLOWER == "probe":
            self.assertEqual(rc, 0, ctx)


if __name__ == "__main__":
    harness.term_as_exception()
    unittest.main(verbosity=2)
