#!/usr/bin/env bash
# Installs what building and testing go-libssh2 needs on Debian or Ubuntu, when it is missing:
# libssh2's headers (libssh2-1-dev), pkg-config, OpenSSH's server, sftp-server and client, and dropbear
# and ProFTPD with mod_sftp (the other SSH servers of the interoperability tests); with DEPS_BENCH=1
# also lftp, a peer in the benchmarks.
set -euo pipefail
missing=()
pkg-config --exists libssh2 2>/dev/null || missing+=(libssh2-1-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
[ -x /usr/lib/openssh/sftp-server ] || [ -x /usr/libexec/openssh/sftp-server ] || missing+=(openssh-sftp-server)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
# Second SSH implementation for the interoperability tests (internal/sshd/dropbear.go).
[ -x /usr/sbin/dropbear ] || missing+=(dropbear-bin)
[ -x /usr/sbin/proftpd ] || missing+=(proftpd-core)
[ -f /usr/lib/proftpd/mod_sftp.so ] || missing+=(proftpd-mod-crypto)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
# The benchmarks' peers (make bench; DEPS_BENCH=1): lftp.
if [ "${DEPS_BENCH:-}" = 1 ]; then command -v lftp >/dev/null || missing+=(lftp); fi
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  if ! command -v apt-get >/dev/null; then
    echo "deps: no apt-get here; install by hand: ${missing[*]} (libssh2 >= 1.10 headers, pkg-config, OpenSSH server)" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo -n); else
      echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq </dev/null
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi
if ! command -v go >/dev/null; then
  echo "deps: the Go toolchain (1.26 or newer) is not on PATH; install it from go.dev/dl" >&2
  exit 1
fi
