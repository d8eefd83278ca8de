"""Fixtures for the GIMP 3 tests: one installed plug-in per session, a few GIMP batch runs.

Skipped when the chroot is not built, unless STYLE_TRANSFER_REQUIRE_HOSTS=1 (CI), where a
missing chroot is a failure: CI must never go green by silently testing nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .harness import WORK, GimpChroot, Run, chroot_ready

if TYPE_CHECKING:
    from .gui import GuiSession

MAIN_CASES = ["basic", "selection", "offset", "grayscale", "high_bit_depth", "indexed",
              "two_layers", "last_values", "no_style", "layer_mask", "semi_transparent_selection",
              "mask_selected", "corrupt_style", "selection_off_layer", "missing_style",
              "folder_style", "unused_slot", "regions", "strength_map", "scale_map",
              "region_offset", "bad_map", "runtimes", "animation", "animation_refused"]


@pytest.fixture(scope="session")
def gimp() -> Iterator[GimpChroot]:
    reason = chroot_ready()
    if reason:
        if os.environ.get("STYLE_TRANSFER_REQUIRE_HOSTS") == "1":
            pytest.fail(f"STYLE_TRANSFER_REQUIRE_HOSTS=1 but {reason}")
        pytest.skip(reason)
    chroot = GimpChroot()
    chroot.open()
    try:
        yield chroot
    finally:
        chroot.close()


@pytest.fixture(scope="session")
def installed(gimp: GimpChroot) -> Run:
    run = gimp.install()
    assert run.returncode == 0, f"installer.py --gimp failed\n{run.output}"
    return run


def _check_batch(run: Run, result: dict | None) -> dict:
    assert run.returncode is not None, f"GIMP timed out\n{run.output}"
    # The result file is written last: missing means GIMP or the script died on the way.
    assert result is not None, f"no result file (exit code {run.returncode})\n{run.output}"
    assert run.returncode == 0, f"gimp-console exit code {run.returncode}\n{run.output}"
    return result


@pytest.fixture(scope="session")
def main_run(gimp: GimpChroot, installed: Run) -> tuple[Run, dict]:
    run, result = gimp.run_cases("main", MAIN_CASES)
    return run, _check_batch(run, result)


@pytest.fixture(scope="session")
def killed_run(gimp: GimpChroot, installed: Run) -> tuple[Run, dict]:
    # Its own GIMP session, so its stderr shows only what GIMP said about the killed plug-in.
    run, result = gimp.run_cases("killed", ["killed_mid_render"],
                                 STYLE_TRANSFER_TEST_HOLD=f"painting@{WORK}/out/killed/gate")
    return run, _check_batch(run, result)


@pytest.fixture(scope="session")
def animation_killed_run(gimp: GimpChroot, installed: Run) -> tuple[Run, dict]:
    # Held when frame 3 of 5 starts (two frames painted), then killed: GIMP's Cancel.
    run, result = gimp.run_cases(
        "animation-killed", ["animation_killed"],
        STYLE_TRANSFER_TEST_HOLD=f"frame 3/5@{WORK}/out/animation-killed/gate")
    return run, _check_batch(run, result)


@pytest.fixture(scope="session")
def no_models_run(gimp: GimpChroot, installed: Run) -> tuple[Run, dict]:
    # An empty model cache, offline: what a user sees when the models were never fetched.
    run, result = gimp.run_cases("no-models", ["error_run"],
                                 STYLE_TRANSFER_CACHE=f"{WORK}/empty")
    return run, _check_batch(run, result)


@pytest.fixture(scope="session")
def no_deps_run(gimp: GimpChroot, installed: Run) -> Iterator[tuple[Run, dict]]:
    # Hide the private wheels (LiteRT, Pillow) as if the installer had never put them there.
    deps = gimp.plugin_dir() / "style_transfer" / "_deps"
    hidden = deps.with_name("_deps.hidden")
    deps.rename(hidden)
    try:
        run, result = gimp.run_cases("no-deps", ["error_run"])
    finally:
        hidden.rename(deps)
    yield run, _check_batch(run, result)


@pytest.fixture
def session(gimp: GimpChroot, installed: Run, request: pytest.FixtureRequest
            ) -> Iterator[GuiSession]:
    """A real GIMP GUI on its own Xvfb screen for one test; its log is
    tests/_artifacts/gimp/<test name>.log. Missing host tools fail under
    STYLE_TRANSFER_REQUIRE_HOSTS=1 (CI), else skip."""
    from .gui import GuiSession, missing_host_tools

    missing = missing_host_tools()
    if missing:
        reason = f"GIMP GUI tests need host packages: {' '.join(missing)} (.ci/setup_gimp.sh)"
        if os.environ.get("STYLE_TRANSFER_REQUIRE_HOSTS") == "1":
            pytest.fail(f"STYLE_TRANSFER_REQUIRE_HOSTS=1 but {reason}")
        pytest.skip(reason)
    gui = GuiSession(gimp, log_name=f"{request.node.name}.log")
    try:
        gui.start_x()
        yield gui
    finally:
        gui.close()


@pytest.fixture
def case(request: pytest.FixtureRequest, main_run: tuple[Run, dict]) -> dict:
    """The record of the main-run case named like the test (test_<case>...)."""
    name = request.node.get_closest_marker("case").args[0]
    record = main_run[1]["cases"][name]
    assert "exception" not in record, record["exception"]
    return record


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "case(name): which batch case a GIMP test judges")

