#!/usr/bin/env bash
# Installs everything gatewatch needs to build and to run every test, from Debian 12's packages.
# Idempotent: packages already present are skipped by apt-get; safe to run on every CI run.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config ccache git python3 tzdata
  libboost-dev libspdlog-dev libyaml-cpp-dev libcurl4-openssl-dev nlohmann-json3-dev
  libcli11-dev libsystemd-dev libre2-dev zlib1g-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Real parts the tests start themselves: clang for libFuzzer, nginx + logrotate for tailing,
# Alertmanager and promtool for the alert and metrics tests, python3 for receivers and generators,
# dpkg-dev (dpkg-shlibdeps) and systemd (systemd-analyze) for the .deb test, Chromium and
# ChromeDriver for the history page's browser test, openssl for its password hash.
test_packages=(
  clang libclang-rt-14-dev coreutils gzip procps
  nginx-light logrotate prometheus-alertmanager prometheus sqlite3 curl
  dpkg-dev systemd adduser binutils util-linux
  chromium chromium-driver fonts-dejavu-core openssl
)
# The README's demo: nginx in front of a small Python app whose death gatewatch reports.
demo_packages=(nginx-light)

# No argument: everything the tests need. --build-only: enough to build. --demo: build + demo.
wanted=("${build_packages[@]}")
case "${1:-}" in
  --build-only) ;;
  --demo) wanted+=("${demo_packages[@]}") ;;
  *) wanted+=("${test_packages[@]}") ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # --no-install-recommends keeps CI lean; policy-rc.d stops packages (nginx, alertmanager)
  # from starting system services that would hold the ports and log paths tests use.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
