"""The README is for painters (issue 18): what it does and a real screenshot of each host, then
install steps per host, all within its first 80 lines; measurements live in bench/README.md and
docs/, linked, with no figure table above that link. Krita's own manual (Manual.html, shown in
Krita's Python Plugin Manager) says the same as the README: each of its sentences is one of the
README's."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
MANUAL = (REPO / "plugin" / "style_transfer" / "Manual.html").read_text(encoding="utf-8")


def _plain(text: str) -> str:
    """Markdown or HTML as the words a reader sees."""
    text = re.sub(r"<[^>]+>", "", html.unescape(text))
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\*\*|\*|_{2}", "", text)
    return re.sub(r"\s+", " ", text).strip()


def test_the_first_80_lines_show_both_hosts_and_how_to_install_them():
    top = "\n".join(README.splitlines()[:80])
    shots = re.findall(r"!\[([^\]]*)\]\(([^)]+\.(?:png|jpg))\)", top)
    alts = " ".join(alt for alt, _ in shots)
    assert "Krita" in alts and "GIMP" in alts, shots
    for _, path in shots:
        with Image.open(REPO / path) as im:  # a real screenshot, not a placeholder
            assert im.width >= 300 and im.height >= 300, (path, im.size)
            small = np.asarray(im.convert("L").resize((64, 64)))
            assert len(np.unique(small)) > 20, path
    assert "Import Python Plugin from File" in top and "python3 installer.py" in top  # Krita
    assert "python3 installer.py --gimp" in top  # GIMP
    assert "pip install" in top  # the command line


def test_no_figure_table_above_the_benchmark_link():
    head = README.split("(bench/README.md)")[0]
    figure = re.compile(r"^\|.*\d+(\.\d+)?\s*(s|ms|MB|GB|dB|×|%)(\s|\||$)", re.M)
    assert not figure.search(head), figure.search(head)
    assert (REPO / "bench" / "README.md").is_file() and "## Results" in \
        (REPO / "bench" / "README.md").read_text(encoding="utf-8")


def test_docs_links_point_at_files():
    for target in re.findall(r"\]\(((?:docs|bench)/[^)#]+)", README):
        assert (REPO / target).is_file(), target


def test_krita_manual_says_what_the_readme_says():
    readme = _plain(README)
    body = MANUAL.split("<h4>Use</h4>")[1].split("<p>More:")[0]
    sentences = [s.strip() for s in re.split(r"(?<=[.;])\s+", _plain(body)) if s.strip()]
    assert len(sentences) >= 5
    missing = [s for s in sentences if s not in readme]
    assert not missing, missing
