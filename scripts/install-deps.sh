#!/usr/bin/env bash
# Installs the Debian 12 packages gigasync builds and tests with (only what is missing).
set -euo pipefail
packages=(build-essential cmake pkg-config git sqlite3 libsqlite3-dev libcurl4-openssl-dev rapidjson-dev
          libsqlitecpp-dev libspdlog-dev catch2 libcli11-dev libtomlplusplus-dev libsystemd-dev
          libcpp-httplib-dev uuid-dev libssl-dev libxxhash-dev systemd time jq prometheus-cpp-dev
          ninja-build   # the test builds (scripts/test.sh)
          curl      # curl: the benchmark's reference and the soak's remote editor
          python3-requests   # the benchmark's Python peer (scripts/bench_peer.py)
          lintian   # lintian: the .deb check (scripts/package.sh)
          clang libclang-rt-14-dev)   # clang: the libFuzzer targets (scripts/fuzz.sh)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
