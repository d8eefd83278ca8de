#!/usr/bin/env bash
# Set up everything the tests need and run them all (the README's test command; .ci/run calls it).
#   - Krita 5 + Xvfb from Debian (apt) and a cached Debian 13 chroot with GIMP 3 (needs root);
#   - a virtual environment .venv with the project and its test tools;
#   - ruff, then pytest on the real models (STYLE_TRANSFER_MODELS, default ../shared/models).
# Extra arguments go to pytest, e.g.  bash scripts/test.sh tests/engine -x
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
if [ -z "${STYLE_TRANSFER_MODELS:-}" ] && [ -d ../shared/models ]; then
    STYLE_TRANSFER_MODELS=$(cd ../shared/models && pwd)
fi
export STYLE_TRANSFER_MODELS
if [ -z "${STYLE_TRANSFER_IMAGES:-}" ] && [ -d ../shared/images ]; then
    STYLE_TRANSFER_IMAGES=$(cd ../shared/images && pwd)
    export STYLE_TRANSFER_IMAGES
fi

if [ "$(id -u)" = 0 ]; then
    bash .ci/setup_krita.sh
    bash .ci/setup_gimp.sh
else
    echo "not root: skipping the Krita/GIMP host setup (their tests skip unless already set up)"
fi
echo "[test.sh] hosts ready after $(( $(date +%s) - t0 ))s"

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .
if [ $# -gt 0 ]; then
    .venv/bin/python -m pytest -ra --durations=12 "$@"
else
    # GIMP's suite (in the Debian 13 chroot, its own scratch folder) runs alongside the rest:
    # both are mostly one host process starting up or waiting on a render, so on 2 cores the
    # pair takes ~the longer of the two instead of their sum. Its log is printed after.
    mkdir -p tests/_artifacts
    gimp_log=tests/_artifacts/gimp-pytest.log
    .venv/bin/python -m pytest -ra --durations=8 tests/gimp >"$gimp_log" 2>&1 &
    gimp_pid=$!
    rc=0
    .venv/bin/python -m pytest -ra --durations=12 --ignore=tests/gimp || rc=$?
    gimp_rc=0
    wait "$gimp_pid" || gimp_rc=$?
    echo "[test.sh] GIMP tests, run alongside (exit $gimp_rc; log $gimp_log):"
    cat "$gimp_log"
    if [ "$rc" -ne 0 ] || [ "$gimp_rc" -ne 0 ]; then
        echo "[test.sh] FAILED: rest exit $rc, GIMP exit $gimp_rc"
        exit 1
    fi
fi
if [ $# -eq 0 ]; then
    # the first pass ran the engine on auto (= OpenVINO, a default dependency); the rendering
    # tests again on LiteRT, the reference runtime and the fallback
    echo "[test.sh] engine rendering tests again with STYLE_TRANSFER_RUNTIME=litert"
    STYLE_TRANSFER_RUNTIME=litert .venv/bin/python -m pytest -q tests/engine/test_render.py \
        tests/engine/test_scale_and_tiles.py tests/engine/test_regions.py \
        tests/engine/test_style.py tests/engine/test_cli.py tests/engine/test_window.py
fi
echo "[test.sh] finished in $(( $(date +%s) - t0 ))s"
