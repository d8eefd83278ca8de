#!/usr/bin/env bash
# Set up a virtual environment and stylize the project's own sample image.
#   bash scripts/demo.sh                      models: $STYLE_TRANSFER_MODELS, the cache, or download
#   bash scripts/demo.sh --models DIR         offline: take the .tflite files from DIR
# Result: out/stylized.jpg (and out/demo-strip.jpg: content | style | result), and
# out/regions.jpg: the sky in a second style (out/regions-strip.jpg).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e .
.venv/bin/python scripts/make_samples.py out/samples
.venv/bin/style-transfer out/samples/content.png --style out/samples/style.png \
    --strength 0.9 -o out/stylized.jpg "$@"
.venv/bin/python scripts/make_samples.py --strip out/samples/content.png out/samples/style.png \
    out/stylized.jpg out/demo-strip.jpg
# two regions: the sky in the second style, the land in the first (README's second picture)
.venv/bin/style-transfer out/samples/content.png \
    --region out/samples/sky.png=out/samples/style2.png \
    --region out/samples/ground.png=out/samples/style.png -o out/regions.jpg -q "$@"
.venv/bin/python scripts/make_samples.py --strip out/samples/content.png out/samples/style.png \
    out/samples/style2.png,out/regions.jpg out/regions-strip.jpg
echo "done: out/stylized.jpg, out/regions.jpg"
