#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The test hosts of the egress tests, sourced by them: names in /etc/hosts for hosts in a network
# namespace of their own (eghosts, 192.0.2.2 behind the veth eg0/eg1), HTTP and HTTPS with a test
# CA made here ($EG/ca.pem), and what real clients fetch: a dumb-HTTP git repository, an npm
# registry document with its tarball, a pip simple index with a wheel. Also some names that
# resolve where the proxy must never connect (loopback, the host itself, metadata, private).

EG=/srv/egress-test
WWW=$EG/www
HOSTS_PY=$TOP/tests/integration/egress-hosts.py
# A name of its own per test file: the previous file's hosts may still be loaded for a while
# after their stop, and systemd-run refuses a name that is.
EG_HOSTS_UNIT=test-egress-hosts-$$.service

eg_network() {
        testbed_run sh -ec '
                ip netns add eghosts
                ip link add eg0 type veth peer name eg1
                ip link set eg1 netns eghosts
                ip addr add 192.0.2.1/24 dev eg0
                ip link set eg0 up
                ip netns exec eghosts ip addr add 192.0.2.2/24 dev eg1
                ip netns exec eghosts ip link set eg1 up
                ip netns exec eghosts ip link set lo up
                cp /etc/hosts /etc/hosts.egress-test
                cat >>/etc/hosts <<HOSTS
192.0.2.2 www.allowed.test git.allowed.test npm.allowed.test pypi.allowed.test denied.test
127.0.0.1 rebind.allowed.test
192.0.2.1 self.allowed.test
169.254.169.254 meta.allowed.test
10.9.9.9 private.allowed.test
HOSTS'
}

eg_certificates() {
        testbed_run sh -ec "
                mkdir -p $EG && cd $EG
                openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=OpenMono egress test CA' \
                        -keyout ca.key -out ca.pem 2>/dev/null
                openssl req -newkey rsa:2048 -nodes -subj '/CN=allowed.test' \
                        -keyout host.key -out host.csr 2>/dev/null
                printf 'subjectAltName=DNS:*.allowed.test,DNS:denied.test\n' >san.ext
                openssl x509 -req -in host.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                        -extfile san.ext -out host.pem 2>/dev/null"
}

# A dumb-HTTP git repository, an npm registry document with its tarball, a pip simple index
# with a wheel: what the real clients ask for.
eg_content() {
        testbed_run sh -ec "
                mkdir -p $WWW/tarballs $WWW/simple/tinypkg $WWW/wheels $EG/src
                echo 'hello through the egress proxy' >$WWW/hello.txt
                cd $EG/src && git init -q && echo 'egress test repo' >README
                git -c user.name=t -c user.email=t@t add README && git -c user.name=t -c user.email=t@t commit -qm init
                git clone -q --bare $EG/src $WWW/repo.git && cd $WWW/repo.git && git update-server-info
                mkdir -p $EG/npm/package && cd $EG/npm
                printf '{\"name\":\"tinypkg\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n' >package/package.json
                echo 'module.exports = 42;' >package/index.js
                tar czf $WWW/tarballs/tinypkg-1.0.0.tgz package
                sha1=\$(sha1sum $WWW/tarballs/tinypkg-1.0.0.tgz | cut -d' ' -f1)
                printf '{\"name\":\"tinypkg\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{\"name\":\"tinypkg\",\"version\":\"1.0.0\",\"dist\":{\"tarball\":\"https://npm.allowed.test/tarballs/tinypkg-1.0.0.tgz\",\"shasum\":\"%s\"}}}}\n' \$sha1 >$WWW/tinypkg
                /usr/bin/python3 - <<'PY'
import base64, hashlib, zipfile
d = 'tinypkg-1.0.dist-info'
files = {'tinypkg/__init__.py': 'VALUE = 42\n',
         d + '/METADATA': 'Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n',
         d + '/WHEEL': 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n'}
record = ''.join('%s,sha256=%s,%d\n' % (n, base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b'=').decode(), len(c)) for n, c in files.items())
files[d + '/RECORD'] = record + d + '/RECORD,,\n'
w = '$WWW/wheels/tinypkg-1.0-py3-none-any.whl'
with zipfile.ZipFile(w, 'w') as z:
    for n, c in files.items():
        z.writestr(n, c)
h = hashlib.sha256(open(w, 'rb').read()).hexdigest()
open('$WWW/simple/tinypkg/index.html', 'w').write(
    '<html><body><a href=\"/wheels/tinypkg-1.0-py3-none-any.whl#sha256=%s\">tinypkg-1.0-py3-none-any.whl</a></body></html>\n' % h)
PY"
}

# Builds everything above and starts the hosts; returns once they answer.
eg_hosts_setup() {
        eg_network
        eg_certificates
        eg_content
        testbed_run systemd-run --unit=$EG_HOSTS_UNIT --collect -p Type=exec \
                -p NetworkNamespacePath=/run/netns/eghosts \
                /usr/bin/python3 "$HOSTS_PY" --address 192.0.2.2 --dir "$WWW" \
                --cert "$EG/host.pem" --key "$EG/host.key" >/dev/null
        wait_until 30 curl -sf http://192.0.2.2/hello.txt
}

eg_hosts_cleanup() {
        testbed_run sh -c "
                systemctl stop $EG_HOSTS_UNIT 2>/dev/null
                [ -f /etc/hosts.egress-test ] && mv /etc/hosts.egress-test /etc/hosts
                ip link del eg0 2>/dev/null; ip netns del eghosts 2>/dev/null
                rm -rf $EG" || true
}
