#!/usr/bin/env python3
"""Writes the incident's logs, deterministically: a low-traffic insurance API behind nginx whose
upstream stops answering at 11:07 (an AMI image was taken) and comes back at 13:41.

Output, in DIR, as logrotate (daily, compress, delaycompress) would leave them on 16 Nov 2022:
  access.log.2.gz   15 Nov 00:00 .. 15 Nov 23:59         (gzipped)
  access.log.1      16 Nov 00:00 .. 16 Nov 12:00 + a few lines written after the rotation
  access.log        16 Nov 12:00 .. 16 Nov 14:30          (its first lines overlap .1's last ones)
  error.log         the upstream connect() failures, local time (Asia/Seoul) without offset
  expected.json     the facts a scan must find: first 502, last good request, recovery

Format (the "upstream" format of config/incident.yaml; the shared bench's "extended"):
  $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"
  "$http_user_agent" $request_time $upstream_response_time "$upstream_addr" $upstream_status

Usage: make_incident_logs.py DIR
"""
import datetime as dt
import gzip
import json
import os
import random
import sys

TZ = dt.timezone(dt.timedelta(hours=9))
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
UPSTREAM = "127.0.0.1:8080"
OUTAGE_START = dt.datetime(2022, 11, 16, 11, 7, 0, tzinfo=TZ)
OUTAGE_END = dt.datetime(2022, 11, 16, 13, 41, 0, tzinfo=TZ)
ROTATION = dt.datetime(2022, 11, 16, 12, 0, 0, tzinfo=TZ)
PATHS = ["/api/join/user", "/join/user-form", "/join/confirm", "/api/ride/start", "/api/ride/end",
         "/api/insurance/quote", "/health"]
UAS = ["Mozilla/5.0 (Linux; Android 11; SM-G996N Build/RP1A.200720.012; wv) AppleWebKit/537.36 "
       "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.91 Mobile Safari/537.36 kakaonavi-webview "
       "KakaoNaviApp v4.8.5",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 16_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Mobile/15E148 KAKAOTALK 9.9.7"]


def time_local(t):
    return "%02d/%s/%04d:%02d:%02d:%02d +0900" % (t.day, MONTHS[t.month - 1], t.year, t.hour, t.minute, t.second)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    r = random.Random(20221116)
    t = dt.datetime(2022, 11, 15, 0, 0, 3, tzinfo=TZ)
    end = dt.datetime(2022, 11, 16, 14, 30, 0, tzinfo=TZ)
    lines = []  # (end time, text, status)
    errors = []
    while t < end:
        path = r.choice(PATHS)
        query = ""
        if path.startswith("/join"):
            query = "?enc=" + "".join(r.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
                                      for _ in range(48))
        method = "POST" if path.startswith("/api/join") else "GET"
        ip = "223.39.%d.%d" % (r.randrange(1, 255), r.randrange(1, 255))
        if OUTAGE_START <= t < OUTAGE_END:
            status, size, rt, urt, ust = 502, 568, "0.001", "0.000", "502"
            errors.append("%s [error] 1234#1234: *%d connect() failed (111: Connection refused) while "
                          "connecting to upstream, client: %s, server: toggle-driver-insu.simgbiz.net, "
                          "request: \"%s %s%s HTTP/1.1\", upstream: \"http://%s%s%s\", host: "
                          "\"toggle-driver-insu.simgbiz.net\"" % (
                              t.strftime("%Y/%m/%d %H:%M:%S"), 100000 + len(errors), ip, method, path,
                              query, UPSTREAM, path, query))
        else:
            status, size = 200, r.randrange(200, 4000)
            rt = "%.3f" % r.uniform(0.01, 0.4)
            urt, ust = rt, "200"
        text = '%s - - [%s] "%s %s%s HTTP/1.1" %d %d "https://carner.kakaomobility.com/" "%s" %s %s "%s" %s' % (
            ip, time_local(t), method, path, query, status, size, r.choice(UAS), rt, urt, UPSTREAM, ust)
        lines.append((t, text, status))
        # A request every 20 s .. 6 min: the server the incident happened on was this quiet.
        t += dt.timedelta(seconds=r.randrange(20, 360))

    day15 = [l for l in lines if l[0].day == 15]
    before = [l for l in lines if l[0].day == 16 and l[0] < ROTATION]
    after = [l for l in lines if l[0] >= ROTATION]
    # Overlapping edges: nginx logs at request end, and keeps writing to the renamed file until it
    # reopens on USR1; so .1 ends with two lines newer than access.log's first line.
    late = after[:2]
    after = after[2:]
    with gzip.open(os.path.join(out, "access.log.2.gz"), "wt", encoding="latin-1") as f:
        f.writelines(l[1] + "\n" for l in day15)
    with open(os.path.join(out, "access.log.1"), "w", encoding="latin-1") as f:
        f.writelines(l[1] + "\n" for l in before + late)
    with open(os.path.join(out, "access.log"), "w", encoding="latin-1") as f:
        f.writelines(l[1] + "\n" for l in after)
    with open(os.path.join(out, "error.log"), "w", encoding="latin-1") as f:
        f.writelines(e + "\n" for e in errors)

    first_bad = next(l for l in lines if l[2] == 502)
    last_good = max(l for l in lines if l[2] == 200 and l[0] < first_bad[0])
    last_bad = max(l for l in lines if l[2] == 502)
    first_good_after = next(l for l in lines if l[2] == 200 and l[0] > last_bad[0])
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"first_502": first_bad[0].isoformat(), "last_good_before": last_good[0].isoformat(),
                   "last_502": last_bad[0].isoformat(), "first_good_after": first_good_after[0].isoformat(),
                   "requests": len(lines), "failures": sum(1 for l in lines if l[2] == 502)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
