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
        # runtime: per-session networks (masquerade and the input drop of session links)
        nftables
)

# Real agents that the integration tests run inside sessions against the model URL, pinned so a
# new release cannot change what CI proves. npm packages only, into a prefix of their own.
TEST_CLIENTS_PREFIX=${OPENMONO_TEST_CLIENTS:-/usr/local/lib/openmono-test-clients}
NPM_PACKAGES=(opencode-ai@1.18.33 openai@7.59.0)

install_test_clients() {
        local want have
        command -v npm >/dev/null || { echo "install-deps: no npm, skipping the test clients"; return 0; }
        want=$(printf '%s\n' "${NPM_PACKAGES[@]}" | sort)
        have=$( { npm ls --prefix "$TEST_CLIENTS_PREFIX" --depth=0 --parseable --long 2>/dev/null || true; } |
               sed -n 's|.*node_modules/[^:]*:\(.*\)|\1|p' | sort)
        if [ "$want" = "$have" ]; then
                echo "install-deps: test clients present in $TEST_CLIENTS_PREFIX"
                return 0
        fi
        echo "install-deps: installing ${NPM_PACKAGES[*]} into $TEST_CLIENTS_PREFIX"
        install -d -m 0755 "$TEST_CLIENTS_PREFIX"
        npm install --prefix "$TEST_CLIENTS_PREFIX" --save-exact --no-fund --no-audit --omit=dev \
                "${NPM_PACKAGES[@]}"
}

missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
        echo "install-deps: all ${#PACKAGES[@]} packages present"
else
        echo "install-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o DPkg::Lock::Timeout=600 update -q
        apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi
install_test_clients
