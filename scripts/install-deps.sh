#!/usr/bin/env bash
# Installs what keelfs needs to build, test and run, and only what is missing:
#   a JDK 17 (openjdk-17-jdk-headless), maven, FUSE 2 (fusermount and libfuse.so.2), fio,
#   attr (setfattr/getfattr, used by the FUSE tests when present).
# Idempotent and quiet when nothing is missing. Installing needs root on Debian (apt-get);
# anywhere else it names what is missing and exits 1.
set -euo pipefail

missing=()

# A JDK, not just a JRE: javac must be there and be 17 or later.
javac_major() {
    javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p'
}
if ! command -v javac >/dev/null 2>&1 || [[ "$(javac_major)" -lt 17 ]] 2>/dev/null; then
    missing+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# jnr-fuse binds libfuse2's API; fusermount (package fuse) unmounts as a normal user.
ldconfig_bin="$(command -v ldconfig || echo /sbin/ldconfig)"
if ! "$ldconfig_bin" -p 2>/dev/null | grep -q 'libfuse\.so\.2'; then
    missing+=(libfuse2)
fi
if ! command -v fusermount >/dev/null 2>&1; then
    if dpkg -s fuse3 >/dev/null 2>&1; then
        # Debian's fuse conflicts with fuse3: installing it would remove fuse3 and what needs it.
        echo "install-deps: fusermount missing but fuse3 is installed; not replacing fuse3" \
            "(keelfs mounts as root need only libfuse2)" >&2
    else
        missing+=(fuse)
    fi
fi
command -v fio >/dev/null 2>&1 || missing+=(fio)
command -v setfattr >/dev/null 2>&1 || missing+=(attr)

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "install-deps: missing: ${missing[*]}" >&2
if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: run as root on Debian, or install them yourself:" \
        "apt-get install ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
has_candidate() {
    apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'
}
# Debian 13 renamed libfuse2 (t64 transition) and has no JDK 17; take what this release has.
packages=()
for package in "${missing[@]}"; do
    if [[ "$package" == libfuse2 ]] && ! has_candidate libfuse2 && has_candidate libfuse2t64; then
        package=libfuse2t64
    elif [[ "$package" == openjdk-17-jdk-headless ]] && ! has_candidate "$package"; then
        package=default-jdk-headless
    fi
    packages+=("$package")
done
echo "install-deps: installing ${packages[*]}" >&2
apt-get install -y -q --no-install-recommends "${packages[@]}" >&2
