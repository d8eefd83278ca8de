#!/usr/bin/env bash
# Build (once) and cache a Debian 13 "trixie" chroot with GIMP 3 (tests/gimp/) and Krita 5.2
# (tests/krita/, the second Krita version beside the host's 5.1).
#
# Idempotent: a chroot that finished building carries a marker file and is reused as is; a
# half-built one (no marker, e.g. an interrupted run) is unmounted, deleted and rebuilt. Krita has
# its own marker: a GIMP chroot built before Krita was added gets Krita installed IN PLACE (apt in
# the live chroot, under a lock), never rebuilt, since other runs may be using it for GIMP.
# Needs root, debootstrap (installed with apt-get when missing) and network to the Debian mirror.
#
#   .ci/setup_gimp.sh            build or reuse; prints the chroot path on the last line
#   STYLE_TRANSFER_GIMP_ROOT=... override the location (default below)
#   STYLE_TRANSFER_GIMP_REBUILD=1 force a rebuild
set -euo pipefail

ROOT="${STYLE_TRANSFER_GIMP_ROOT:-/var/cache/style-transfer-ci/gimp-trixie}"
MARKER="$ROOT/.style-transfer-ready"
# Bump when the package list changes so cached chroots from older CI runs get rebuilt.
RECIPE="v1 gimp python3-gi gir1.2-gimp-3.0 python3-numpy python3-pip ca-certificates"
PACKAGES=(gimp python3-gi gir1.2-gimp-3.0 python3-numpy python3-pip ca-certificates)
# Krita 5.2 (Python 3.13, numpy 2.2 from the same chroot); kritarunner and the GUI reach the host's
# Xvfb through its abstract socket like GIMP's GUI does, so no X packages are needed in here.
# Bump KRITA_RECIPE when this list changes: a chroot with another recipe gets it installed in place.
KRITA_MARKER="$ROOT/.style-transfer-krita-ready"
KRITA_RECIPE="v1 krita python3-pyqt5"
KRITA_PACKAGES=(krita python3-pyqt5)

t0=$(date +%s)
say() { echo "[setup_gimp $(( $(date +%s) - t0 ))s] $*"; }

# The mirror this machine already uses: the first uncommented URIs line (the snapshot URL on
# the commented line is frozen in the past and has no trixie).
mirror() {
    local src=/etc/apt/sources.list.d/debian.sources m=""
    if [[ -r $src ]]; then
        m=$(awk '/^[[:space:]]*URIs:/ {print $2; exit}' "$src")
    fi
    if [[ -z $m && -r /etc/apt/sources.list ]]; then
        m=$(awk '/^[[:space:]]*deb[[:space:]]/ {print $2; exit}' /etc/apt/sources.list)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

# Unmount everything below a directory, deepest first, so `rm -rf` can never reach the host's
# /proc or a bind-mounted repository.
unmount_below() {
    local dir
    dir=$(realpath -m "$1")
    awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts \
        | sort -r | while read -r mnt; do
            say "unmounting $mnt"
            umount "$mnt" 2>/dev/null || umount -l "$mnt"
        done
}

# Local CA additions of this machine (e.g. a TLS-intercepting egress proxy) must be trusted inside
# the chroot too, or pip cannot reach PyPI from there. Cheap, so it runs on every call.
sync_host_cas() {
    local root=$1 src=/usr/local/share/ca-certificates
    [[ -d $src ]] || return 0
    if ! diff -rq "$src" "$root$src" >/dev/null 2>&1; then
        say "trusting this machine's local CA certificates inside the chroot"
        mkdir -p "$root$src"
        cp -a "$src/." "$root$src/"
        chroot "$root" update-ca-certificates >/dev/null 2>&1 || say "update-ca-certificates failed"
    fi
}

# Host tools for tests/gimp/test_gimp_gui_undo.py (the real GIMP GUI on Xvfb): X server, a window
# manager (without one the image window never gets keyboard focus and xdotool's Ctrl+Z is lost),
# xdotool/xprop to drive and read windows, ImageMagick for screenshots. Cheap when present, so
# it runs on every call; it installs only what is missing.
ensure_host_gui_tools() {
    local -A need=([Xvfb]=xvfb [openbox]=openbox [xdotool]=xdotool [xprop]=x11-utils
                   [import]=imagemagick [convert]=imagemagick)
    local tool missing=()
    for tool in "${!need[@]}"; do
        command -v "$tool" >/dev/null || missing+=("${need[$tool]}")
    done
    ((${#missing[@]})) || return 0
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    if [[ $(id -u) -ne 0 ]]; then
        say "missing host packages for the GIMP GUI test (need root): ${missing[*]}"
        return 0
    fi
    say "installing host packages for the GIMP GUI test: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}
ensure_host_gui_tools

# What Krita and Python the chroot holds, for the test logs (read by tests/krita/chroot.py).
record_krita_version() {
    local root=$1 krita py
    krita=$(chroot "$root" dpkg-query -W -f='${Version}' krita)
    py=$(chroot "$root" python3 -c 'import sys, numpy; print("python", sys.version.split()[0], "numpy", numpy.__version__)')
    echo "krita $krita; $py" > "$root/.krita-version"
}

# Krita into an already-built chroot, in place: only what is missing is installed, GIMP's
# packages stay as they are, and runs using the chroot meanwhile are not disturbed beyond apt
# unpacking new files. Under a lock so two CI runs do not run apt at once; /proc is mounted only
# if missing and then unmounted again (the policy of tests/gimp/harness.py).
ensure_krita() {
    local root=$1 lock mounted=""
    [[ -f $KRITA_MARKER && "$(cat "$KRITA_MARKER")" == "$KRITA_RECIPE" ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup_gimp.sh: adding Krita to the chroot needs root (chroot, apt)" >&2
        exit 1
    fi
    lock="$(dirname "$root")/.$(basename "$root").krita.lock"
    exec 9>"$lock"
    flock 9
    if [[ -f $KRITA_MARKER && "$(cat "$KRITA_MARKER")" == "$KRITA_RECIPE" ]]; then
        exec 9>&-
        return 0  # another run added it while this one waited
    fi
    say "adding Krita to the cached chroot in place: apt-get install ${KRITA_PACKAGES[*]}"
    if ! mountpoint -q "$root/proc"; then
        mount -t proc proc "$root/proc"
        mounted=1
    fi
    local ok=1
    {
        chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        chroot "$root" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${KRITA_PACKAGES[@]}" &&
        chroot "$root" apt-get clean
    } > "$root.krita-apt.log" 2>&1 || ok=0
    [[ -n $mounted ]] && umount "$root/proc"
    if ((!ok)); then
        tail -30 "$root.krita-apt.log" >&2
        exit 1
    fi
    rm -f "$root.krita-apt.log"
    record_krita_version "$root"
    echo "$KRITA_RECIPE" > "$KRITA_MARKER"
    exec 9>&-
    say "Krita added: $(cat "$root/.krita-version")"
}

if [[ -f $MARKER && "$(cat "$MARKER")" == "$RECIPE" && -z "${STYLE_TRANSFER_GIMP_REBUILD:-}" ]]; then
    sync_host_cas "$ROOT"
    ensure_krita "$ROOT"
    say "cached chroot is complete: $ROOT ($(cat "$ROOT/.gimp-version" 2>/dev/null || echo '?'); $(cat "$ROOT/.krita-version" 2>/dev/null || echo '?'))"
    echo "$ROOT"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "setup_gimp.sh: needs root (debootstrap, chroot, mount)" >&2
    exit 1
fi
command -v debootstrap >/dev/null || {
    say "installing debootstrap on the host"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

MIRROR=$(mirror)
BUILD="$ROOT.partial"
say "building a fresh chroot in $BUILD from $MIRROR (takes a few minutes)"
unmount_below "$BUILD"
unmount_below "$ROOT"
rm -rf --one-file-system "$BUILD" "$ROOT"
mkdir -p "$(dirname "$ROOT")"
trap 'unmount_below "$BUILD"' EXIT

say "debootstrap --variant=minbase trixie"
debootstrap --variant=minbase trixie "$BUILD" "$MIRROR" > "$BUILD.debootstrap.log" 2>&1 || {
    tail -30 "$BUILD.debootstrap.log" >&2
    exit 1
}
rm -f "$BUILD.debootstrap.log"
cp /etc/resolv.conf "$BUILD/etc/resolv.conf"
echo "deb $MIRROR trixie main" > "$BUILD/etc/apt/sources.list"
mountpoint -q "$BUILD/proc" || mount -t proc proc "$BUILD/proc"

# GIMP and Krita in one apt run on a fresh machine: one resolution, shared libraries fetched once
say "apt-get install ${PACKAGES[*]} ${KRITA_PACKAGES[*]}"
chroot "$BUILD" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
chroot "$BUILD" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" "${KRITA_PACKAGES[@]}" \
    > "$BUILD.apt.log" 2>&1 || {
    tail -30 "$BUILD.apt.log" >&2
    exit 1
}
rm -f "$BUILD.apt.log"
chroot "$BUILD" apt-get clean
sync_host_cas "$BUILD"

# Record what was built; the tests print it so a log shows which GIMP/Python ran.
gimp_version=$(chroot "$BUILD" gimp-console-3.0 --version 2>/dev/null | head -1)
py_version=$(chroot "$BUILD" python3 -c 'import sys, numpy; print("python", sys.version.split()[0], "numpy", numpy.__version__)')
echo "$gimp_version; $py_version" > "$BUILD/.gimp-version"
record_krita_version "$BUILD"
say "built: $(cat "$BUILD/.gimp-version"); $(cat "$BUILD/.krita-version")"

unmount_below "$BUILD"
trap - EXIT
mv "$BUILD" "$ROOT"
echo "$KRITA_RECIPE" > "$KRITA_MARKER"
echo "$RECIPE" > "$MARKER"
say "done: $ROOT"
echo "$ROOT"
