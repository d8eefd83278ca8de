"""Model manifest and store: local folders, hash checks, and real downloads from a local HTTP
server on 127.0.0.1 that serves the real model files (good, corrupted, cut off, missing)."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
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
    assert "sha256" in msg and spec.file in msg and "models fetch" in msg
    # an engine pointed at it says the same instead of running a wrong model
    eng = Engine(store=store)
    with pytest.raises(ModelError):
        eng.check_models("int8")


def test_unknown_model_id_lists_the_known_ones(models_dir: Path, tmp_path: Path) -> None:
    store = ModelStore(sources=[str(models_dir)], cache_dir=tmp_path, allow_download=False)
    with pytest.raises(ModelError, match=r"Unknown model 'int4'.*int8.*f16"):
        store.path("int4")


def test_missing_model_without_download_names_the_fix(tmp_path: Path) -> None:
    store = ModelStore(sources=[str(tmp_path)], cache_dir=tmp_path / "c", allow_download=False)
    with pytest.raises(ModelError, match="style-transfer models fetch"):
        Engine(store=store).check_models()


# -- downloads from a real HTTP server on loopback ----------------------------------------------


class _Server:
    """Serves {name: bytes}; per-name behaviour: 'good', 'corrupt', 'cut_once' (first response
    closes the connection halfway), 'missing'. Honours Range requests like a CDN does."""

    def __init__(self, files: Dict[str, bytes]) -> None:
        self.files = files
        self.mode: Dict[str, str] = {}
        self.requests: List[str] = []
        self.ranges: List[str] = []
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
                if mode == "corrupt":
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
                if mode == "cut_once":
                    server.mode[name] = "good"
                    self.wfile.write(body[start:start + (len(body) - start) // 2])
                    self.wfile.flush()
                    self.connection.close()  # the rest never arrives
                    return
                self.wfile.write(body[start:])

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
    assert len(server.requests) == 3  # retried, each time rejected
    assert not list(tmp_path.iterdir())  # nothing bad kept, not even a .part


def test_interrupted_download_is_resumed(server: _Server, tmp_path: Path) -> None:
    server.mode["style_transfer_int8_dynamic.tflite"] = "cut_once"
    path = _store(server, tmp_path).path(SMALL)
    assert sha256_of(path) == load_manifest()[SMALL].sources[0].sha256
    assert len(server.requests) == 2
    assert server.ranges and server.ranges[0].startswith("bytes=")  # resumed, not restarted
    assert int(server.ranges[0].split("=")[1].rstrip("-")) > 0


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
    assert "offline?" in msg and "STYLE_TRANSFER_MODELS" in msg and "models fetch" in msg
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
    """installer.py (stdlib only, cannot import the engine) repeats the cache-folder rule."""
    import importlib.util

    from style_transfer.engine.models import default_cache_dir

    spec = importlib.util.spec_from_file_location("installer", REPO / "installer.py")
    installer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(installer)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("STYLE_TRANSFER_CACHE", raising=False)
        mp.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert installer.model_cache_dir() == default_cache_dir() == (
            tmp_path / "xdg" / "style-transfer" / "models")
        mp.setenv("STYLE_TRANSFER_CACHE", str(tmp_path / "c"))
        assert installer.model_cache_dir() == default_cache_dir() == tmp_path / "c"
