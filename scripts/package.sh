#!/usr/bin/env bash
# Builds the Debian package: scripts/package.sh [BUILD_DIR]   (default build-pkg, Release)
# Configures like debhelper (prefix /usr, sysconfdir /etc, dpkg-buildflags hardening), builds
# (output in BUILD_DIR/package-build.log), runs `cpack -G DEB`, then lintian (an error fails the
# script; warnings are printed), and prints the .deb's contents and its path.
# Needs cmake, dpkg-dev and lintian (scripts/install-deps.sh). GIGASYNC_JOBS: parallel jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-pkg}
jobs=${GIGASYNC_JOBS:-$(nproc)}

for tool in cmake cpack dpkg-deb dpkg-shlibdeps dpkg-buildflags lintian; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing (scripts/install-deps.sh)" >&2; exit 69; }
done

# Debian's build flags: fortify, stack protector, format security, relro, bindnow.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)

log="$build/package-build.log"
mkdir -p "$build"
echo "== build ($build, Release; log: $log)"
if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGIGASYNC_TESTS=OFF \
         -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LOCALSTATEDIR=/var \
         -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" &&
       cmake --build "$build" -j"$jobs"; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "package.sh: the build failed (full output: $log)" >&2
  exit 1
fi

echo "== cpack -G DEB"
rm -f "$build"/gigasync_*.deb
(cd "$build" && cpack -G DEB) | grep -v '^CPack: - Run preinstall\|^CPack: Install projects'
deb=$(cd "$build" && pwd)/$(cd "$build" && ls gigasync_*.deb)

echo "== lintian"
set +e
lintian --fail-on error --display-info --tag-display-limit 0 "$deb" 2>&1 | grep -v '^running with root privileges'
lintian_rc=${PIPESTATUS[0]}
set -e
if [ "$lintian_rc" -ne 0 ]; then
  echo "package.sh: lintian found errors in $deb (exit $lintian_rc)" >&2
  exit 1
fi
echo "lintian: no errors"

echo "== dpkg-deb -f (control)"
dpkg-deb -f "$deb"
echo "== dpkg-deb -c"
dpkg-deb -c "$deb"
echo "$deb"
