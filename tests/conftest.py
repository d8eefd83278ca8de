"""Shared fixtures: the real models and the real sample photos, never mocks.

Models come from $STYLE_TRANSFER_MODELS (.ci/run sets it to ../shared/models); photos from
$STYLE_TRANSFER_IMAGES or ../shared/images next to the checkout. Neither is committed."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared(sub: str, env: str) -> Path:
    if os.environ.get(env):
        return Path(os.environ[env].split(os.pathsep)[0])
    return REPO.parent / "shared" / sub


MODELS = _shared("models", "STYLE_TRANSFER_MODELS")
IMAGES = _shared("images", "STYLE_TRANSFER_IMAGES")


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("STYLE_TRANSFER_MODELS", str(MODELS))
    os.environ.setdefault("STYLE_TRANSFER_OFFLINE", "1")  # tests never reach the internet


@pytest.fixture(scope="session")
def models_dir() -> Path:
    if not (MODELS / "style_predict_int8_256.tflite").is_file():
        pytest.fail(f"real models not found in {MODELS}; set STYLE_TRANSFER_MODELS")
    return MODELS


@pytest.fixture(scope="session")
def images_dir() -> Path:
    if not (IMAGES / "stata.jpg").is_file():
        pytest.fail(f"sample photos not found in {IMAGES}; set STYLE_TRANSFER_IMAGES")
    return IMAGES


@pytest.fixture(scope="session")
def engine(models_dir: Path):
    from style_transfer.engine import Engine

    return Engine(models=models_dir)


@pytest.fixture(scope="session")
def load(images_dir: Path):
    from style_transfer.engine.images import load_image

    def _load(name: str) -> np.ndarray:
        return load_image(images_dir / name)

    return _load
