"""Model manifest and store: local folders, hash checks, and real downloads from a local HTTP
server on 127.0.0.1 that serves the real model files (good, corrupted, cut off, missing)."""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from style_transfer.engine import Engine, ModelError
from style_transfer.engine.models import ModelStore, load_manifest, sha256_of

REPO = Path(__file__).resolve().parents[2]
SMALL = "transformer-int8-dynamic"  # the smallest file (244 kB): quick to serve


def test_manifest_describes_every_model_once(models_dir: Path) -> None:
    data = json.loads((REPO / "models" / "manifest.json").read_text(encoding="utf-8"))
    ids = [m["id"] for m in data["models"]]
    files = [m["file"] for m in data["models"]]
    assert len(ids) == len(set(ids)) and len(files) == len(set(files))
    specs = load_manifest()
    assert {s.role for s in specs.values()} == {"predictor", "transformer"}
    for spec in specs.values():
        assert spec.sources and all(len(s.sha256) == 64 for s in spec.sources)
        assert all(s.url.startswith("https://") for s in spec.sources)
        # the real file in the shared folder is the first source, byte for byte
        assert sha256_of(models_dir / spec.file) == spec.sources[0].sha256
        assert (models_dir / spec.file).stat().st_size == spec.sources[0].bytes


def test_local_folder_is_used_and_verified(models_dir: Path, tmp_path: Path) -> None:
    store = ModelStore(sources=[str(models_dir)], cache_dir=tmp_path, allow_download=False)
    assert store.path("int8") == models_dir / "style_transfer_int8_dynamic.tflite"
    assert store.path("int8-fixed") == models_dir / "style_transfer_int8_384.tflite"
    assert store.path("f16").name == "style_transfer_f16_384.tflite"


def test_corrupted_local_file_is_never_used(models_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    spec = load_manifest()[SMALL]
    data = bytearray((models_dir / spec.file).read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    (bad / spec.file).write_bytes(bytes(data))
    store = ModelStore(sources=[str(bad)], cache_dir=tmp_path / "cache", allow_download=False)
    with pytest.raises(ModelError) as e:
        store.path(SMALL)
    msg = str(e.value)
    assert "sha256" in msg and spec.file in msg
    # downloads are off: only a folder can help, so the message offers that and nothing else
    assert "STYLE_TRANSFER_MODELS" in msg and "downloads are off" in msg
    assert "models fetch" not in msg and "installer.py" not in msg
    # an engine pointed at it says the same instead of running a wrong model
    eng = Engine(store=store)
    with pytest.raises(ModelError):
        eng.check_models("int8")


def test_unknown_model_id_lists_the_known_ones(models_dir: Path, tmp_path: Path) -> None:
    store = ModelStore(sources=[str(models_dir)], cache_dir=tmp_path, allow_download=False)
    with pytest.raises(ModelError, match=r"Unknown model 'int4'.*int8.*f16"):
        store.path("int4")


def test_missing_model_message_offers_what_works_for_who_asks(tmp_path: Path) -> None:
    """Each front end passes its own fix (the engine names none): the CLI a command, Krita its
    docker button, GIMP and the installer installer.py; with downloads off only a folder."""
    from style_transfer import cli
    from style_transfer.gimp import host as gimp
    from style_transfer.krita import setup as krita

    sys.path.insert(0, str(REPO))
    try:
        import installer
    finally:
        sys.path.remove(str(REPO))

    def message(hint, allow_download: bool) -> str:
        store = ModelStore(sources=[str(tmp_path)], cache_dir=tmp_path / "c",
                           allow_download=allow_download, hint=hint, retries=1)
        store.manifest = {SMALL: store.manifest[SMALL]}
        if allow_download:  # no network in tests: an upstream that refuses at once
            spec = store.manifest[SMALL]
            dead = dataclasses.replace(spec.sources[0], url="http://127.0.0.1:9/x")
            store.manifest[SMALL] = dataclasses.replace(spec, sources=(dead,))
        with pytest.raises(ModelError) as e:
            store.path(SMALL)
        return str(e.value)

    on = message(cli.MODELS_HINT, True)
    assert "style-transfer models fetch" in on and "installer.py" not in on
    off = message(cli.MODELS_HINT, False)
    assert "models fetch" not in off and "installer.py" not in off
    assert "--models DIR" in off and "STYLE_TRANSFER_OFFLINE=1" in off
    assert "Download models" in message(krita.MODELS_HINT, True)
    assert "Download models" not in message(krita.MODELS_HINT, False)
    assert "installer.py --gimp" in message(gimp.MODELS_HINT, True)
    assert "installer.py --gimp --models DIR" in message(gimp.MODELS_HINT, False)
    assert "models fetch" not in message(gimp.MODELS_HINT, True) + message(
        krita.MODELS_HINT, True)
    assert "check that --models names a folder" in message(installer.models_hint, False)
    # no hint given: the folder, which works for whoever asks, and no program named
    plain = message(None, True)
    assert "STYLE_TRANSFER_MODELS" in plain and "installer.py" not in plain
    assert "models fetch" not in plain and "Download" not in plain


def test_one_model_list_with_labels() -> None:
    from style_transfer.cli import build_parser
    from style_transfer.engine.models import (
        DEFAULT_MODEL,
        MODEL_CHOICES,
        model_choices,
        model_label,
    )

    choices = model_choices()
    assert [c.name for c in choices] == list(MODEL_CHOICES) == ["int8", "f16", "int8-fixed"]
    assert choices[0].name == DEFAULT_MODEL
    manifest = load_manifest()
    for c in choices:
        assert manifest[c.model_id].role == "transformer" and MODEL_CHOICES[c.name] == c.model_id
        assert c.label and c.help and "\n" not in c.help
    assert model_label("int8") == "Fast (int8)" and model_label("f16") == "Quality (f16)"
    assert model_label("other") == "other"
    model = next(a for a in build_parser()._actions if "--model" in a.option_strings)
    assert list(model.choices) == list(MODEL_CHOICES) and model.default == DEFAULT_MODEL


@pytest.mark.parametrize(("value", "expected"), [
    ("http://host:8765/x", ["http://host:8765/x"]),
    ("/a:/b", ["/a", "/b"]),
    ("https://h/x:/local:http://127.0.0.1:1/p", ["https://h/x", "/local", "http://127.0.0.1:1/p"]),
    ("file:///srv/m:/n", ["file:///srv/m", "/n"]),
    ("::/only:", ["/only"]),
])
def test_model_sources_keep_urls_whole_on_posix(value: str, expected: List[str]) -> None:
    from style_transfer.engine.models import split_sources

    assert split_sources(value, ":") == expected
    assert split_sources("C:\\m;http://h:1/x", ";") == ["C:\\m", "http://h:1/x"]


# -- downloads from a real HTTP server on loopback ----------------------------------------------


class _Server:
    """Serves {name: bytes}; per-name behaviour: 'good', 'corrupt', 'cut_once' (first response
    closes the connection halfway), 'missing'. Honours Range requests like a CDN does."""

    def __init__(self, files: Dict[str, bytes]) -> None:
        self.files = files
        self.mode: Dict[str, str] = {}
        self.requests: List[str] = []
        self.ranges: List[str] = []
        self.delay = 0.0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                server.requests.append(name)
                mode = server.mode.get(name, "good")
                if name not in server.files or mode == "missing":
                    self.send_error(404)
                    return
                body = server.files[name]
                if mode == "416":
                    self.send_error(416)
                    return
                if mode in ("corrupt", "corrupt_cut"):
                    body = body[:100] + bytes(b ^ 0x55 for b in body[100:200]) + body[200:]
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    server.ranges.append(rng)
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if mode in ("cut_once", "corrupt_cut"):
                    if mode == "cut_once":
                        server.mode[name] = "good"
                    self.wfile.write(body[start:start + (len(body) - start) // 2])
                    self.wfile.flush()
                    self.connection.close()  # the rest never arrives
                    return
                half = (len(body) - start) // 2
                self.wfile.write(body[start:start + half])
                self.wfile.flush()
                time.sleep(server.delay)  # lets two clients overlap
                self.wfile.write(body[start + half:])

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/models"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server(models_dir: Path) -> Iterator[_Server]:
    spec = load_manifest()[SMALL]
    srv = _Server({spec.file: (models_dir / spec.file).read_bytes()})
    yield srv
    srv.close()


def _store(server: _Server, cache: Path) -> ModelStore:
    return ModelStore(sources=[server.url], cache_dir=cache, allow_download=False, retries=3)


def test_download_good_file(server: _Server, tmp_path: Path) -> None:
    store = _store(server, tmp_path)
    path = store.path(SMALL)
    assert path == tmp_path / "style_transfer_int8_dynamic.tflite"
    assert sha256_of(path) == load_manifest()[SMALL].sources[0].sha256
    assert not list(tmp_path.glob("*.part"))
    # second call: found in the cache, no new request
    n = len(server.requests)
    assert store.path(SMALL) == path and len(server.requests) == n
    # and the file really is a model the engine can run
    assert Engine(store=store).network(SMALL).dynamic


def test_download_corrupted_file_is_rejected(server: _Server, tmp_path: Path) -> None:
    server.mode["style_transfer_int8_dynamic.tflite"] = "corrupt"
    store = _store(server, tmp_path)
    with pytest.raises(ModelError, match="sha256 does not match"):
        store.path(SMALL)
    assert len(server.requests) == 1  # the same URL gives the same wrong file: no retry
    assert not list(tmp_path.iterdir())  # nothing bad kept, not even a temporary file


def test_interrupted_download_starts_a_fresh_file(server: _Server, tmp_path: Path) -> None:
    server.mode["style_transfer_int8_dynamic.tflite"] = "cut_once"
    path = _store(server, tmp_path).path(SMALL)
    assert sha256_of(path) == load_manifest()[SMALL].sources[0].sha256
    assert len(server.requests) == 2
    assert server.ranges == []  # never resumed: a fresh temporary file per attempt
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_no_splice_across_sources(models_dir: Path, tmp_path: Path) -> None:
    """A first mirror that cuts off a wrong file, then a good one: the good one's bytes alone
    make the model (the old shared .part resumed the second source onto the first's bytes)."""
    spec = load_manifest()[SMALL]
    body = (models_dir / spec.file).read_bytes()
    bad, good = _Server({spec.file: body}), _Server({spec.file: body})
    try:
        bad.mode[spec.file] = "corrupt_cut"
        store = ModelStore(sources=[bad.url, good.url], cache_dir=tmp_path,
                           allow_download=False, retries=2)
        path = store.path(SMALL)
        assert sha256_of(path) == spec.sources[0].sha256
        assert len(bad.requests) == 2 and good.requests == [spec.file]
        assert bad.ranges == good.ranges == []
        assert [p.name for p in tmp_path.iterdir()] == [spec.file]
    finally:
        bad.close()
        good.close()


def test_http_416_and_a_stale_part_leave_nothing(server: _Server, tmp_path: Path) -> None:
    # a leftover of the old resumable scheme, shorter than the file (so it was resumed)
    (tmp_path / "style_transfer_int8_dynamic.tflite.part").write_bytes(b"x" * 1000)
    server.mode["style_transfer_int8_dynamic.tflite"] = "416"
    with pytest.raises(ModelError, match="416"):
        _store(server, tmp_path).path(SMALL)
    assert not list(tmp_path.iterdir())  # the old leftover is gone too


def test_ctrl_c_during_a_download_leaves_nothing(server: _Server, tmp_path: Path) -> None:
    def interrupt(done: int, total: int) -> None:
        if done > total // 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _store(server, tmp_path).path(SMALL, progress=interrupt)
    assert not list(tmp_path.iterdir())


def test_two_downloads_at_once_do_not_collide(server: _Server, tmp_path: Path) -> None:
    server.delay = 0.3  # both are half-way at the same time
    results: List[object] = []

    def fetch() -> None:
        try:
            results.append(_store(server, tmp_path).path(SMALL))
        except ModelError as e:
            results.append(e)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = tmp_path / "style_transfer_int8_dynamic.tflite"
    assert results == [final, final] and len(server.requests) == 2
    assert sha256_of(final) == load_manifest()[SMALL].sources[0].sha256
    assert [p.name for p in tmp_path.iterdir()] == [final.name]


def test_base_url_in_the_environment(server: _Server, tmp_path: Path) -> None:
    """STYLE_TRANSFER_MODELS=http://127.0.0.1:PORT/models (a ':' in the scheme and the port)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STYLE_TRANSFER_MODELS", f"{tmp_path / 'none'}{os.pathsep}{server.url}")
        store = ModelStore(cache_dir=tmp_path / "cache", allow_download=False)
    assert store.sources == [str(tmp_path / "none"), server.url]
    assert sha256_of(store.path(SMALL)) == load_manifest()[SMALL].sources[0].sha256


def test_missing_on_server_fails_fast(server: _Server, tmp_path: Path) -> None:
    server.mode["style_transfer_int8_dynamic.tflite"] = "missing"
    with pytest.raises(ModelError, match="404"):
        _store(server, tmp_path).path(SMALL)
    assert len(server.requests) == 1  # a 404 is not retried


def test_offline_gives_a_clear_error(tmp_path: Path) -> None:
    # a port that nothing listens on: connection refused, as when offline
    store = ModelStore(sources=["http://127.0.0.1:9/models"], cache_dir=tmp_path,
                       allow_download=False, retries=2)
    with pytest.raises(ModelError) as e:
        store.path(SMALL)
    msg = str(e.value)
    assert "offline?" in msg and "STYLE_TRANSFER_MODELS" in msg
    assert not list(tmp_path.glob("*"))


def test_fetch_from_folder_copies_into_cache(models_dir: Path, tmp_path: Path) -> None:
    from style_transfer.cli import main

    cache = tmp_path / "cache"
    env_cache = {"STYLE_TRANSFER_CACHE": str(cache)}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env_cache.items():
            mp.setenv(k, v)
        mp.delenv("STYLE_TRANSFER_MODELS")
        assert main(["models", "fetch", "int8", "--from", str(models_dir)]) == 0
        assert (cache / "style_transfer_int8_dynamic.tflite").is_file()
        shutil.copy(models_dir / "style_predict_int8_256.tflite", cache)
        # verify: the two present copies are fine, the two others are missing -> exit 1
        assert main(["models", "verify"]) == 1


def test_installer_puts_models_where_the_engine_looks(tmp_path: Path) -> None:
    """installer.py (stdlib only) loads this very models.py by path: one cache-folder rule."""
    import importlib.util

    from style_transfer.engine.models import default_cache_dir

    spec = importlib.util.spec_from_file_location("installer", REPO / "installer.py")
    installer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(installer)
    assert Path(installer.models.__file__) == REPO / "plugin/style_transfer/engine/models.py"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("STYLE_TRANSFER_CACHE", raising=False)
        mp.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert installer.models.default_cache_dir() == default_cache_dir() == (
            tmp_path / "xdg" / "style-transfer" / "models")
