#!/usr/bin/env bash
# Sets up a Debian machine to build, test and run skiff. Idempotent: re-running it changes nothing
# that is already in place. It prints each step it takes.
#
#   1. Debian packages skiff and its tests need (apt-get), unless already installed.
#   2. Deno, from the npm package `deno` at the pinned version, linked onto PATH as `deno`.
#   3. The project's npm dependencies into Deno's cache, exactly as deno.lock records them.
set -euo pipefail

DENO_VERSION="2.9.6"
APT_PACKAGES=(
  containerd runc nftables iproute2 etcd-server etcd-client busybox-static
  containernetworking-plugins ca-certificates procps util-linux openssl
  wrk dnsutils dnsperf conntrack
)

say() { printf 'setup: %s\n' "$*"; }

root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
  prefix=/usr/local
else
  sudo=(sudo)
  prefix="$HOME/.local"
fi

# 1. Debian packages.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  # Package scripts must not start daemons (etcd, containerd): skiff runs its own.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$added_policy" -eq 1 ]; then "${sudo[@]}" rm -f "$policy"; fi
else
  say "Debian packages already installed"
fi

# 2. Deno from npm, pinned.
deno_home="$prefix/lib/skiff-deno"
case "$(uname -m)" in
  x86_64) deno_pkg="@deno/linux-x64-glibc" ;;
  aarch64) deno_pkg="@deno/linux-arm64-glibc" ;;
  *) say "unsupported machine $(uname -m): Deno ships for x86_64 and aarch64"; exit 1 ;;
esac
deno_bin="$deno_home/node_modules/$deno_pkg/deno"
if [ -x "$deno_bin" ] && [ "$("$deno_bin" --version | head -n1 | awk '{print $2}')" = "$DENO_VERSION" ]; then
  say "Deno $DENO_VERSION already installed at $deno_bin"
else
  say "installing Deno $DENO_VERSION from npm into $deno_home"
  mkdir -p "$deno_home"
  npm install --prefix "$deno_home" --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION" >/dev/null
  if [ ! -x "$deno_bin" ]; then
    say "npm did not install $deno_pkg: cannot find $deno_bin"
    exit 1
  fi
fi
mkdir -p "$prefix/bin"
ln -sf "$deno_bin" "$prefix/bin/deno"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) say "add $prefix/bin to PATH to use deno: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
export PATH="$prefix/bin:$PATH"

# 3. npm dependencies, exactly as locked.
if [ -f "$root_dir/deno.lock" ]; then
  say "caching npm dependencies from deno.lock"
  (cd "$root_dir" && deno install --frozen --quiet)
fi

say "done: deno $(deno --version | head -n1 | awk '{print $2}'), etcd $(etcd --version 2>/dev/null | head -n1 | awk '{print $3}'), containerd $(containerd --version 2>/dev/null | awk '{print $3}')"
