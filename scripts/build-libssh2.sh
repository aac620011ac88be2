#!/usr/bin/env bash
# Builds libssh2 VERSION from a Debian release's source package, with Debian's patches applied
# (dpkg-source -x), against this machine's OpenSSL and zlib, and installs it under CACHE/prefix, for
# `make test-libssh2-1.11`. A finished prefix is reused. The machine's own apt sources are left alone:
# apt runs with a private sources list and private lists under CACHE, pointed at the Debian mirror the
# machine already uses (DEBIAN_MIRROR=URL overrides it).
# Usage: scripts/build-libssh2.sh VERSION SUITE CACHE    e.g. 1.11.1 trixie .cache/libssh2-1.11.1
set -euo pipefail
version=${1:?usage: build-libssh2.sh VERSION SUITE CACHE}
suite=${2:?usage: build-libssh2.sh VERSION SUITE CACHE}
cache=${3:?usage: build-libssh2.sh VERSION SUITE CACHE}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
prefix=$cache/prefix
stamp=$prefix/debian-source-version # written last: its presence means the prefix is complete

if [ -f "$stamp" ]; then
  echo "libssh2 $version: reusing $prefix (Debian source $(cat "$stamp"))"
  exit 0
fi

# What the build needs, installed when missing, as scripts/deps.sh does.
missing=()
command -v apt-get >/dev/null || { echo "build-libssh2: needs apt-get (Debian or Ubuntu)" >&2; exit 1; }
command -v dpkg-source >/dev/null || missing+=(dpkg-dev)
command -v xz >/dev/null || missing+=(xz-utils)
command -v make >/dev/null || missing+=(make)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
sudo=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then sudo=(sudo -n); fi
fi
export DEBIAN_FRONTEND=noninteractive
if ((${#missing[@]})); then
  echo "build-libssh2: installing ${missing[*]}"
  if [ "$(id -u)" != 0 ] && ((${#sudo[@]} == 0)); then
    echo "build-libssh2: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
  "${sudo[@]}" apt-get update -qq </dev/null
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# The Debian mirror this machine's apt uses (its first Debian URI that is not the security archive),
# and its security archive.
uris=$( (grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
  grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}') | sed 's,/*$,,' || true)
mirror=${DEBIAN_MIRROR:-$(grep -E '/debian$' <<<"$uris" | head -1 || true)}
security=${DEBIAN_SECURITY_MIRROR:-$(grep -E '/debian-security$' <<<"$uris" | head -1 || true)}
[ -n "$mirror" ] || { echo "build-libssh2: no Debian mirror in /etc/apt; set DEBIAN_MIRROR=URL" >&2; exit 1; }
mirror=${mirror%/}

apt=$cache/apt
rm -rf "$apt" "$cache/src"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d" "$cache/src"
cat >"$apt/sources.list" <<EOF
deb-src $mirror $suite main
deb-src $mirror $suite-updates main
EOF
[ -z "$security" ] || echo "deb-src ${security%/} $suite-security main" >>"$apt/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
  -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
# apt downloads as the unprivileged _apt user when root, and that user cannot write into the checkout.
[ "$(id -u)" != 0 ] || aptopts+=(-o APT::Sandbox::User=root)
echo "build-libssh2: reading $suite's source index from $mirror"
apt-get "${aptopts[@]}" update -qq </dev/null
# The newest Debian revision of that upstream version (security updates come as +debNNuN).
debver=$(apt-cache "${aptopts[@]}" showsrc libssh2 </dev/null | sed -n 's/^Version: //p' |
  grep -F -- "$version-" | sort -V | tail -1 || true)
[ -n "$debver" ] || { echo "build-libssh2: $suite has no libssh2 $version source package" >&2; exit 1; }
echo "build-libssh2: libssh2 $debver from $suite"
(cd "$cache/src" && apt-get "${aptopts[@]}" source --download-only -qq "libssh2=$debver" </dev/null)
(cd "$cache/src" && dpkg-source -x libssh2_*.dsc libssh2 >../dpkg-source.log 2>&1) ||
  { cat "$cache/dpkg-source.log" >&2; exit 1; }
grep -F 'applying' "$cache/dpkg-source.log" | sed 's/^/build-libssh2: /'

# Debian's own build runs autoreconf; the release tarball's configure does as well, since none of the
# patches touches the build system. Shared library only, no examples, OpenSSL and zlib.
rm -rf "$cache/build" "$prefix"
mkdir -p "$cache/build"
log=$cache/build.log
echo "build-libssh2: building (log in $log)"
if ! (cd "$cache/build" &&
  ../src/libssh2/configure --prefix="$prefix" --with-crypto=openssl --with-libz --disable-static \
    --disable-examples-build --disable-docker-tests --disable-rpath CFLAGS="-g -O2" &&
  make -j"$(nproc)" &&
  make install) >"$log" 2>&1; then
  tail -30 "$log" >&2
  echo "build-libssh2: the build failed; full log in $log" >&2
  exit 1
fi
got=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --modversion libssh2)
[ "$got" = "$version" ] || { echo "build-libssh2: built libssh2 $got, want $version" >&2; exit 1; }
rm -rf "$cache/build" "$apt"
echo "$debver" >"$stamp"
echo "libssh2 $version: installed under $prefix (Debian source $debver)"
