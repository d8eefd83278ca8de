"""Every real-Krita test runs on both Kritas: the `krita_host` fixture is parametrized with
"5.1" (Debian 12's Krita 5.1.5 on this machine) and "5.2" (Debian 13's Krita 5.2.9 in the chroot
.ci/setup_gimp.sh builds); see kritatest.py. At the end of the run one line per Krita says how
its tests went: `Krita 5.2.9 (Python 3.13): N passed, M failed` (version and Python read from
the installed Krita, not written here)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from kritatest import HOST, ChrootKrita, KritaHost

LABELS = ("5.1", "5.2")
#: the Kritas this session opened, by label, for the summary lines
OPENED: Dict[str, KritaHost] = {}
PROBLEMS: Dict[str, str] = {}


@pytest.fixture(scope="session", params=LABELS)
def krita_host(request: pytest.FixtureRequest, models_dir: Path,
               images_dir: Path) -> Iterator[KritaHost]:
    krita = HOST if request.param == "5.1" else ChrootKrita()
    reason = krita.problem()
    if reason:
        PROBLEMS[request.param] = reason
    krita.require()  # skips, or fails under STYLE_TRANSFER_REQUIRE_HOSTS=1
    krita.open(models_dir, images_dir)
    OPENED[request.param] = krita
    try:
        yield krita
    finally:
        krita.close()


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    # the label travels on each report, so the summary can group outcomes per Krita
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "krita_host" in callspec.params:
            item.user_properties.append(("krita_host", callspec.params["krita_host"]))


def _label(report: pytest.TestReport) -> str:
    return dict(report.user_properties).get("krita_host", "")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    outcome: Dict[str, Dict[str, str]] = {label: {} for label in LABELS}
    seen = False
    for key in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(key, []):
            label = _label(report) if isinstance(report, pytest.TestReport) else ""
            if label not in outcome:
                continue
            seen = True
            was = outcome[label].get(report.nodeid)
            # a failure in any phase (setup, call, teardown) makes the test failed
            if was != "failed":
                outcome[label][report.nodeid] = "failed" if key in ("failed", "error") else key
    if not seen:
        return
    terminalreporter.write_sep("-", "real Krita versions")
    for label in LABELS:
        counts = Counter(outcome[label].values())
        if not counts:
            continue
        krita = OPENED.get(label)
        title = krita.title if krita else f"Krita {label} (Python ?)"
        line = f"{title}: {counts['passed']} passed, {counts['failed']} failed"
        if counts["skipped"]:
            line += f", {counts['skipped']} skipped"
        if label in PROBLEMS:
            line += f" ({PROBLEMS[label]})"
        terminalreporter.write_line(line)
