#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs the Debian 12 packages OpenMono needs to build, test and run its test bed.
set -euo pipefail

PACKAGES=(
        # build
        meson ninja-build pkg-config gcc clang scdoc
        libsystemd-dev libseccomp-dev libcurl4-openssl-dev libxml2-dev
        libsodium-dev libjson-c-dev libcmocka-dev libpolkit-gobject-1-dev
        libmicrohttpd-dev
        # test bed: a real systemd, system bus and polkit in a container
        systemd systemd-container dbus polkitd iproute2 python3 util-linux
)

missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
        echo "install-deps: all ${#PACKAGES[@]} packages present"
        exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
