"""OpenVINO runtime for the transformer .tflite files (the same files LiteRT runs).

`openvino` reads TFLite directly; the model is reshaped to each input size and compiled once per
size (kept in a small LRU here, and in OpenVINO's on-disk cache so a new process skips most of
the compile). Measured on the project's 2-core AVX2 EPYC: f32 inference is about 2x LiteRT's
XNNPACK, on CPUs with AVX512-BF16/AMX OpenVINO's default (bf16) about 4x.

The graph edit: the f16 and full-int8 files contain `Interpolate` nodes whose output sizes are
constants (192, 384, 384), so `reshape` to another size "succeeds" yet returns a 384x384 image.
Those nodes are replaced by scale-driven ones (scale = constant size / input size at 384), which
is bit-identical at 384 and correct at any size. The int8-dynamic file is shape-driven already.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .errors import DependencyError, ModelError
from .runtime import STYLE_DIM, Network, default_threads, dynamic_pad, padded_size

ENV_DEVICE = "STYLE_TRANSFER_DEVICE"  # CPU (default); GPU / AUTO are passed through, untested
#: Whole-image calls up to this many pixels; above it, tiles of TILE_SIDE. 2048^2 in one call
#: peaks near 0.9 GB RSS in f32 (bench/), which every supported machine can spare.
ONE_CALL_PIXELS = 2048 * 2048
TILE_SIDE = 2048
_EDIT_VERSION = 1  # bump when the graph edit changes: cached IR files are then rebuilt
_KEEP_SIZES = 4  # compiled sizes kept: preview, full, statistics + apply; each holds buffers

#: Which network and precision each *Model* choice (the LiteRT model id it names) runs on
#: OpenVINO. Decided by figures (README "Runtimes"): the f16 network is both the closest to the
#: original and, on OpenVINO, as fast as the int8 files, so "int8" (the default) uses it in
#: OpenVINO's default precision (bf16 where the CPU has it, else f32), "f16" pins f32 (the
#: original network's output, 120+ dB from LiteRT f16), "int8-fixed" keeps its own file.
PLAN: Dict[str, Tuple[str, Optional[str]]] = {
    "transformer-int8-dynamic": ("transformer-f16", None),
    "transformer-f16": ("transformer-f16", "f32"),
    "transformer-int8": ("transformer-int8", None),
}

_NOT_NEEDED = ("openvino.tools.ovc", "openvino_telemetry")
_core: Any = None
_cache_set = False
_core_lock = threading.Lock()


def import_openvino() -> Any:
    """The openvino module, or DependencyError naming the fix."""
    try:
        loaded = sys.modules.get("openvino")
        if loaded is not None:
            return loaded
        # `import openvino` also imports its model converter (openvino.tools.ovc), which we
        # never use and which reports the import to Intel's analytics through
        # openvino-telemetry, from a thread that forks a process (a forked LiteRT
        # interpreter crashed in that child here; forks inside Krita/GIMP are worse, and this
        # project uploads nothing). Both are kept out while it loads: 0.09 s instead of 0.23.
        blocked = [m for m in _NOT_NEEDED if m not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]  (makes the import fail)
        try:
            import openvino
        finally:
            for name in blocked:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]
        return openvino
    except ImportError as e:
        raise DependencyError(
            f"OpenVINO is not installed ({e}). Fix: `pip install openvino` in the Python that "
            "runs this plugin, or choose the LiteRT runtime."
        ) from None


def version() -> str:
    """'2026.4' from '2026.4.1-22982-…'."""
    full = import_openvino().__version__
    return ".".join(full.split("-")[0].split(".")[:2])


def device() -> str:
    return os.environ.get(ENV_DEVICE, "").strip() or "CPU"


def core(cache_dir: Optional[Path] = None) -> Any:
    """One ov.Core per process; the first caller with a cache folder sets OpenVINO's on-disk
    model cache (compiled blobs: a size compiled before loads in a fraction of the time), even
    if the core was made earlier without one (e.g. for a status line)."""
    global _core, _cache_set
    ov = import_openvino()
    with _core_lock:
        if _core is None:
            _core = ov.Core()
        if cache_dir is not None and not _cache_set:
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                _core.set_property({"CACHE_DIR": str(cache_dir)})
                _cache_set = True
            except OSError:
                pass  # a read-only home: compile every time, still correct
        return _core


def default_precision() -> str:
    """What OpenVINO computes in when not told: 'bf16' on CPUs with AVX512-BF16/AMX, else
    'f32' (read from the device, so the status line says what really runs)."""
    try:
        hint = core().get_property(device(), "INFERENCE_PRECISION_HINT")
        return str(getattr(hint, "to_string", lambda: hint)()).lower().replace("float", "f")
    except Exception:
        return "f32"


def make_sizes_scale_driven(model: Any) -> int:
    """Replace every Interpolate whose output size is a constant by one driven by scales (the
    constant size over the input size it was exported at). Returns how many were replaced."""
    from openvino import opset13 as ops

    replaced = 0
    for node in model.get_ordered_ops():
        if node.get_type_name() != "Interpolate" or node.get_input_size() < 3:
            continue
        attrs = node.get_attributes()
        sizes = node.input(1).get_source_output().get_node()
        axes = node.input(2).get_source_output().get_node()
        if attrs.get("shape_calculation_mode") != "sizes" or sizes.get_type_name() != "Constant" \
                or axes.get_type_name() != "Constant":
            continue
        data = node.input(0).get_source_output()
        in_shape = data.get_partial_shape()
        axis_list = [int(a) for a in axes.get_data()]
        scales = np.array([float(s) / in_shape[a].get_length()
                           for s, a in zip(sizes.get_data(), axis_list)], np.float32)
        new = ops.interpolate(
            data, ops.constant(scales), attrs["mode"], "scales",
            pads_begin=list(attrs["pads_begin"]), pads_end=list(attrs["pads_end"]),
            coordinate_transformation_mode=attrs["coordinate_transformation_mode"],
            nearest_mode=attrs["nearest_mode"], antialias=bool(attrs["antialias"]),
            cube_coeff=float(attrs["cube_coeff"]), axes=ops.constant(np.array(axis_list, np.int64)),
        )
        node.output(0).replace(new.output(0))
        replaced += 1
    if replaced:
        model.validate_nodes_and_infer_types()
    return replaced


def _statistics_nodes(model: Any) -> List[Any]:
    """The ReduceMean nodes of every instance normalisation (mean over H,W, then the mean of
    the squared difference): 26 in our transformers, each [1, C, 1, 1]."""
    nodes = []
    for node in model.get_ordered_ops():
        if node.get_type_name() != "ReduceMean":
            continue
        axes = node.input(1).get_source_output().get_node()
        if axes.get_type_name() == "Constant" and sorted(int(a) for a in axes.get_data()) == \
                [2, 3] and node.get_attributes().get("keep_dims"):
            nodes.append(node)
    return nodes


def split_statistics(model: Any) -> Tuple[Any, Any, List[str]]:
    """(statistics model, apply model, names): the first gives every instance-norm mean and
    variance of an image; the second takes them as inputs instead of measuring its own, so
    tiles painted with the statistics of the whole image match a whole-image call."""
    import openvino as ov
    from openvino import opset13 as ops

    stats = model.clone()
    results = [ops.result(n.output(0)) for n in _statistics_nodes(stats)]
    stats_model = ov.Model(results, stats.get_parameters(), "statistics")
    apply = model.clone()
    names = []
    for i, node in enumerate(_statistics_nodes(apply)):
        name = f"in_stat_{i}"
        param = ops.parameter(node.output(0).get_partial_shape(),
                              node.get_output_element_type(0), name=name)
        param.output(0).set_names({name})
        node.output(0).replace(param.output(0))
        apply.add_parameters([param])
        names.append(name)
    apply.validate_nodes_and_infer_types()
    return stats_model, apply, names


class _SharedStatistics:
    """The network with its instance-norm statistics fixed (from the whole image): what tiles
    use above the one-call budget. Everything but transform delegates to the network."""

    def __init__(self, net: OpenVINONetwork, stats: List[np.ndarray]) -> None:
        self._net = net
        self._stats = stats

    def __getattr__(self, name: str) -> Any:
        return getattr(self._net, name)

    def transform(self, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
        return self.submit_transform(content, vector, True).result()

    def submit_transform(self, content: np.ndarray, vector: np.ndarray,
                         solo: bool = False) -> Future[np.ndarray]:
        return self._net._pool.submit(self._net._transform, content, vector, self._stats)


class OpenVINONetwork(Network):
    """A transformer file on OpenVINO: any input size (a multiple of 4, padded here like the
    LiteRT dynamic model), compiled once per size. One worker thread with every core: a whole
    image in one call, so tiles run one after another (parallel tiles would only split the
    same cores)."""

    runtime = "openvino"
    one_call_pixels = ONE_CALL_PIXELS
    tile_side = TILE_SIDE

    def __init__(
        self,
        path: Path,
        threads: Optional[int] = None,
        precision: Optional[str] = None,
        cache_dir: Optional[Path] = None,
    ) -> None:
        threads = threads or default_threads()
        super().__init__(path, threads, 1, threads)
        self.precision = precision  # None = OpenVINO's default for the device
        self.device = device()
        self._core = core(cache_dir)
        self._ir_dir = cache_dir
        st = self.path.stat()
        self._tag = f"{self.path.stem}-{st.st_size}-{st.st_mtime_ns}-{_EDIT_VERSION}"
        self._model: Any = None
        meta = self._read_meta()
        if meta is None:
            model = self._load()
            try:
                image, vector = self._inputs(model)
            except ModelError as e:
                raise ModelError(f"{self.path.name}: {e}") from None
            shape = model.input(image).get_partial_shape()
            meta = {"image": image, "vector": vector,
                    "input_hw": [shape[1].get_length(), shape[2].get_length()]}
            self._write(self._tag + ".json", json.dumps(meta).encode())
        self._image, self._vector = str(meta["image"]), str(meta["vector"])
        self.input_hw = (int(meta["input_hw"][0]), int(meta["input_hw"][1]))
        self.dynamic = True
        self._compiled: OrderedDict[Tuple[str, int, int], Any] = OrderedDict()
        self._split: Optional[Tuple[Any, Any, List[str]]] = None
        self.compile_seconds = 0.0

    def _load(self) -> Any:
        """The .tflite file as an OpenVINO model with the Interpolate fix; read on first need
        only: a size compiled before comes from the IR + blob caches without it (reading
        and editing cost 0.2-0.35 s of every start)."""
        if self._model is None:
            try:
                model = self._core.read_model(str(self.path))
            except Exception as e:  # OpenVINO raises RuntimeError subclasses of its own
                raise ModelError(f"OpenVINO cannot read {self.path.name}: "
                                 f"{_first_line(e)}") from e
            make_sizes_scale_driven(model)
            self._model = model
        return self._model

    def _read_meta(self) -> Optional[Dict[str, Any]]:
        if self._ir_dir is None:
            return None
        try:
            meta = json.loads((self._ir_dir / f"{self._tag}.json").read_text(encoding="utf-8"))
            return meta if {"image", "vector", "input_hw"} <= set(meta) else None
        except (OSError, ValueError):
            return None

    def _write(self, name: str, data: bytes) -> None:
        """A cache file, written whole or not at all (several processes may race)."""
        if self._ir_dir is None:
            return
        try:
            tmp = self._ir_dir / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self._ir_dir / name)
        except OSError:
            pass  # no cache: slower starts, same results

    def _ir(self, h: int, w: int) -> Optional[Path]:
        """The edited model reshaped to h x w, saved once as OpenVINO IR in the cache folder:
        compiling from that path lets OpenVINO's blob cache skip reading the model."""
        if self._ir_dir is None:
            return None
        xml = self._ir_dir / f"{self._tag}-{h}x{w}.xml"
        if xml.exists() and xml.with_suffix(".bin").exists():
            return xml
        import openvino as ov

        model = self._load()
        model.reshape({self._image: [1, h, w, 3], self._vector: [1, 1, 1, STYLE_DIM]})
        tmp = self._ir_dir / f".{xml.stem}.{os.getpid()}.{threading.get_ident()}.xml"
        try:
            ov.save_model(model, str(tmp), compress_to_fp16=False)
            os.replace(tmp.with_suffix(".bin"), xml.with_suffix(".bin"))
            os.replace(tmp, xml)
        except (OSError, RuntimeError):
            return None
        return xml

    @staticmethod
    def _inputs(model: Any) -> Tuple[str, str]:
        image = vector = None
        for port in model.inputs:
            dims = port.get_partial_shape()
            last = dims[dims.rank.get_length() - 1].get_length()
            if last == 3:
                image = port.get_any_name()
            elif last == STYLE_DIM:
                vector = port.get_any_name()
        if image is None or vector is None:
            raise ModelError("not a style transformer (inputs: "
                             f"{[p.get_any_name() for p in model.inputs]})")
        return image, vector

    def config(self) -> Dict[str, Any]:
        cfg: Dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
        if self.device == "CPU":
            cfg["INFERENCE_NUM_THREADS"] = self.threads
        if self.precision:
            cfg["INFERENCE_PRECISION_HINT"] = self.precision
        return cfg

    def compiled_precision(self) -> str:
        """The precision the compiled model really runs in ('f32', 'bf16', …)."""
        if self.precision:
            return self.precision
        return default_precision()

    def request(self, h: int, w: int, kind: str = "") -> Any:
        """The infer request for one (padded) input size of the whole network (kind ""), its
        statistics part ("stats") or its apply part ("apply"); compiles on first use. Only
        the pool thread calls this, so no lock is needed around the LRU."""
        import time

        key = (kind, h, w)
        req = self._compiled.get(key)
        if req is not None:
            self._compiled.move_to_end(key)
            return req
        t = time.perf_counter()
        try:
            if kind and self._split is None:
                self._split = split_statistics(self._load())
            source: Any = self._ir(h, w) if not kind else None
            if source is None:
                source = self._load() if not kind else self._split[0 if kind == "stats" else 1]
                source.reshape({self._image: [1, h, w, 3], self._vector: [1, 1, 1, STYLE_DIM]})
            compiled = self._core.compile_model(
                str(source) if isinstance(source, Path) else source, self.device, self.config())
        except Exception as e:
            raise ModelError(f"OpenVINO cannot compile {self.path.name} for {w}x{h} on "
                             f"{self.device}: {_first_line(e)}") from e
        out_shape = tuple(compiled.output(0).get_shape())
        # the Interpolate trap: never return a wrong-size image
        if kind != "stats" and out_shape[1:3] != (h, w):
            raise ModelError(f"{self.path.name} on OpenVINO gives {out_shape[2]}x{out_shape[1]} "
                             f"for a {w}x{h} input; use the LiteRT runtime for this model")
        req = compiled.create_infer_request()
        self._compiled[key] = req
        while len(self._compiled) > _KEEP_SIZES:
            self._compiled.popitem(last=False)
        self.compile_seconds += time.perf_counter() - t
        return req

    def prepare(self, h: int, w: int) -> None:
        """Compile for an h x w content image now (warm-up), on the pool thread."""
        self._pool.submit(self.request, *padded_size(h, w)).result()

    def _inputs_for(self, content: np.ndarray, vector: np.ndarray) -> Dict[str, np.ndarray]:
        x = np.ascontiguousarray(dynamic_pad(content)[None], dtype=np.float32)
        v = np.ascontiguousarray(vector.reshape(1, 1, 1, STYLE_DIM), dtype=np.float32)
        return {self._image: x, self._vector: v}

    def _transform(self, content: np.ndarray, vector: np.ndarray,
                   stats: Optional[List[np.ndarray]] = None) -> np.ndarray:
        h, w = content.shape[:2]
        inputs = self._inputs_for(content, vector)
        ph, pw = inputs[self._image].shape[1:3]
        if stats is None:
            req = self.request(ph, pw)
        else:
            assert self._split is not None
            req = self.request(ph, pw, "apply")
            inputs.update(zip(self._split[2], stats))
        self._infer(req, inputs, f"a {w}x{h} image")
        return np.array(req.get_output_tensor(0).data[0, :h, :w], copy=True)

    def _infer(self, req: Any, inputs: Dict[str, np.ndarray], what: str) -> None:
        """One OpenVINO call. Its own RuntimeErrors (out of memory, a device or plugin failure)
        become one-line ModelErrors, wherever in a render they happen: "auto" then paints the
        render on LiteRT (Engine.stylize), "openvino" reports the line."""
        try:
            self._invoke(lambda: req.infer(inputs, share_inputs=True))
        except RuntimeError as e:
            raise ModelError(f"OpenVINO failed on {what}: {_first_line(e)}") from e

    def statistics(self, image: np.ndarray, vector: np.ndarray) -> List[np.ndarray]:
        """Every instance-norm mean and variance the network measures on `image`."""
        def run() -> List[np.ndarray]:
            inputs = self._inputs_for(image, vector)
            size = inputs[self._image].shape[1:3]
            req = self.request(*size, "stats")
            self._infer(req, inputs, f"the statistics of a {size[1]}x{size[0]} image")
            stats = [np.array(t.data, copy=True) for t in req.output_tensors]
            # used once per render: its buffers (a whole call's worth) go before the tiles'
            self._compiled.pop(("stats", *size), None)
            return stats

        return self._pool.submit(run).result()

    def with_statistics(self, image: np.ndarray, vector: np.ndarray) -> Any:
        """This network with the statistics of `image` (the whole picture, at most one call's
        budget) fixed for every call: tiles then share the whole image's tones."""
        return _SharedStatistics(self, self.statistics(image, vector))

    def _predict(self, image: np.ndarray) -> np.ndarray:
        raise ModelError("The style network runs on LiteRT (6 ms there, 12 ms on OpenVINO).")


def _first_line(e: BaseException) -> str:
    """The message of an OpenVINO error without its "Exception from src/…cpp:117:" lines."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()
             and not ln.startswith("Exception from ")]
    return lines[0][:200] if lines else type(e).__name__
