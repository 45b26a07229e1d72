#!/usr/bin/env bash
# Whole-process speed of `gatewatch scan` on the shared generator's 2M-line file, plain and gzipped,
# and (with PEERS=1) the peers measured by the shared run_peers.sh on the same file, same machine.
#
# Usage: bash tests/bench/scan_bench.sh [BUILD_DIR]     (default build/release)
#   env: BENCH_DIR (default: a temp dir kept for reuse), RUNS=3, PEERS=1 to also run the peers
# Prints a markdown table: median wall seconds of RUNS, lines/s, MB/s, max RSS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
shared="${GATEWATCH_SHARED_DIR:-$repo/../shared}"
build="${1:-$repo/build/release}"
runs="${RUNS:-3}"
bench_dir="${BENCH_DIR:-${TMPDIR:-/tmp}/gatewatch-bench}"
mkdir -p "$bench_dir"
log="$bench_dir/access.log"
expected_sha=c3c1bb45de683be3e2b90008f265497efcdd5325686efed120932d517a9790c8

if [[ ! -x "$build/daemon/gatewatch" ]]; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGATEWATCH_TESTS=OFF -DGATEWATCH_BENCH=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target gatewatch >/dev/null
fi
if [[ ! -f "$log" ]] || [[ "$(sha256sum "$log" | cut -d' ' -f1)" != "$expected_sha" ]]; then
  python3 "$shared/bench/gen_nginx_log.py" -n 2000000 -o "$log"
fi
[[ -f "$log.gz" ]] || gzip -6 -k -f "$log"
lines=$(wc -l < "$log")
bytes=$(stat -c %s "$log")
cat "$log" "$log.gz" > /dev/null  # page cache: every figure below is a cached read

measure() {  # name, then the command
  local name="$1"; shift
  local walls=() rss=0
  for ((i = 1; i <= runs; i++)); do
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$bench_dir/time.$name" "$@" > "$bench_dir/out.$name" 2>/dev/null
    t1=$(date +%s%N)
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')")
    rss=$(cat "$bench_dir/time.$name")
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  awk -v n="$name" -v w="$median" -v l="$lines" -v b="$bytes" -v r="$rss" \
    'BEGIN{printf "| %s | %.3f | %\047.0f | %.0f | %.1f |\n", n, w, l/w, b/1e6/w, r/1024}'
}

echo "| command | wall s (median of $runs) | lines/s | MB/s (uncompressed) | max RSS MB |"
echo "|---|---|---|---|---|"
measure "gatewatch scan (plain)" "$build/daemon/gatewatch" scan --no-color "$log"
measure "gatewatch scan (gzip)" "$build/daemon/gatewatch" scan --no-color "$log.gz"
measure "gatewatch scan --json (plain)" "$build/daemon/gatewatch" scan --json "$log"
incidents=$(grep -c '^  #' "$bench_dir/out.gatewatch scan (plain)" || true)
echo
echo "incidents reported: $incidents ($lines lines, $bytes bytes)"
echo "machine: nproc=$(nproc) cpu='$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')'"

if [[ -n "${PEERS:-}" ]]; then
  BENCH_DIR="$bench_dir" SKIP_TAIL=1 RUNS="$runs" bash "$shared/bench/run_peers.sh"
fi
