"""Clips for the command line: frames in from a folder, a glob, an animated GIF / WebP / APNG or a
video; frames out to a folder of PNGs, a GIF / WebP / APNG or an MP4 / WebM (MOV, MKV).

Host-neutral (numpy, Pillow; PyAV for video, imported only for a video). Only the CLI uses it:
Krita and GIMP enumerate their own frames.

- Streaming: readers yield one frame at a time; the folder and video writers keep none. Pillow's
  GIF writer keeps every frame it was given (palette images, 1 byte a pixel); its APNG and
  WebP writers take a list, so those formats hold the clip's RGB(A) frames until the end.
- Atomic: a file is written to a temporary file beside it and renamed at the end; a folder's
  frames go to a hidden staging folder inside it and are moved in at the end. Anything that
  stops the write (an error, Ctrl+C) removes the temporary file or folder: no half-written
  output, and an earlier run's frames stay as they were.
- An output folder remembers the frames it holds in MANIFEST; a new run replaces exactly
  those, and refuses a folder holding images it did not write (never a mix of two runs).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import tempfile
import warnings
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Deque, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from .engine.errors import DependencyError, InputError

#: still images a folder or a glob may hold as frames
FRAME_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif"}
#: files Pillow reads as animations (a still one is a 1-frame clip)
ANIMATION_EXTS = {".gif", ".webp", ".png", ".apng"}
VIDEO_EXTS = {".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"}
#: output file types, by extension
OUTPUT_TYPES = {".gif": "GIF", ".webp": "WEBP", ".png": "APNG", ".apng": "APNG",
                ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".webm": "webm", ".mkv": "matroska"}
DEFAULT_FPS = Fraction(24)
#: what an output folder remembers of the frames this module wrote there
MANIFEST = ".style-transfer-frames.json"
STAGING_PREFIX = ".style-transfer-partial-"
VIDEO_INSTALL = "pip install 'style-transfer[video]' (or: pip install av)"
#: audio codecs each video container takes as they are (copied without re-encoding)
AUDIO_COPY = {
    "mp4": {"aac", "mp3", "alac", "opus", "flac", "ac3", "eac3"},
    "mov": {"aac", "mp3", "alac", "pcm_s16le", "pcm_s24le", "ac3"},
    "webm": {"opus", "vorbis"},
    "matroska": None,  # any
}


def natural_key(path: Path) -> Tuple[Any, ...]:
    """frame2 before frame10: digits compare as numbers."""
    parts = re.split(r"(\d+)", path.name.lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


@dataclass
class Frame:
    """One frame: pixels (HxWx3 or HxWx4, uint8 or uint16 for 16-bit files), where it comes
    from (`name`: the file's stem for frames of a folder, else frame_NNNN) and when it shows."""

    pixels: np.ndarray
    index: int
    name: str
    start: Fraction  # seconds from the clip's start
    duration: Fraction  # seconds it shows


@dataclass
class ClipInfo:
    source: str
    kind: str  # "folder" | "glob" | "animation" | "video"
    count: int
    width: int
    height: int
    alpha: bool
    fps: Optional[Fraction] = None  # nominal rate (video, or --fps for frames); None: durations
    loop: int = 0  # animations: 0 = forever
    folders: List[Path] = field(default_factory=list)  # where a folder/glob's frames live
    audio: Optional[str] = None  # codec name of the audio track a video has
    color: Dict[str, Any] = field(default_factory=dict)  # video colour tags


# -- reading -------------------------------------------------------------------------------------


class ClipReader:
    info: ClipInfo
    #: frames that could not be read and were skipped (keep_going), as "name: why"
    skipped: List[str]

    def frames(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def open_clip(source: str, fps: Optional[Fraction] = None, keep_going: bool = False) -> ClipReader:
    """The reader for a folder, a glob, an animated image or a video, checked as far as can be
    before any frame is decoded: InputError (one line, naming the file and the fix) if it is
    not a clip, has no frames, frames of different sizes, or no video stream."""
    path = Path(source)
    if path.is_dir():
        files = [f for f in path.iterdir() if f.is_file() and not f.name.startswith(".")
                 and f.suffix.lower() in FRAME_EXTS]
        if not files:
            raise InputError(f"{source}: the folder holds no frames (no {_exts(FRAME_EXTS)} "
                             "files).")
        return FramesReader(source, "folder", sorted(files, key=natural_key), fps, keep_going)
    if not path.exists() and any(ch in source for ch in "*?["):
        files = [Path(m) for m in glob.glob(source, recursive=True)]
        files = [f for f in files if f.is_file() and f.suffix.lower() in FRAME_EXTS]
        if not files:
            raise InputError(f"{source}: the pattern matches no frame ({_exts(FRAME_EXTS)}).")
        return FramesReader(source, "glob", sorted(files, key=natural_key), fps, keep_going)
    if not path.exists():
        raise InputError(f"{source}: no such file or folder.")
    if path.stat().st_size == 0:
        raise InputError(f"{source}: the file is empty (0 bytes).")
    ext = path.suffix.lower()
    if ext in VIDEO_EXTS:
        return VideoReader(path, keep_going)
    if ext in FRAME_EXTS or ext == ".apng":
        return AnimationReader(path, fps)
    # an unknown extension: what FFmpeg can read is a video, else nothing we know
    try:
        return VideoReader(path, keep_going, unknown=True)
    except DependencyError:
        raise InputError(f"{source}: unknown clip type '{ext or path.name}'; give a folder of "
                         f"frames, a glob, a GIF / WebP / APNG, or a video "
                         f"({_exts(VIDEO_EXTS)}).") from None


def _exts(exts: Iterable[str]) -> str:
    return "/".join(sorted(e.lstrip(".") for e in exts))


def _size_of(im: Any) -> Tuple[int, int]:
    """(w, h) a frame has once its EXIF orientation is applied (as load_image does)."""
    w, h = im.size
    try:
        if im.getexif().get(0x0112) in (5, 6, 7, 8):
            return h, w
    except Exception:
        pass
    return w, h


def _has_alpha(im: Any) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info


class FramesReader(ClipReader):
    """The frames of a folder or a glob, in natural name order. Every header is read before
    the first frame is decoded: a file that is no image or has another size is named then."""

    def __init__(self, source: str, kind: str, files: List[Path], fps: Optional[Fraction],
                 keep_going: bool) -> None:
        from PIL import Image

        self.skipped = []
        self.keep_going = keep_going
        good: List[Path] = []
        first: Optional[Tuple[Path, Tuple[int, int]]] = None
        alpha = False
        for f in files:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with Image.open(f) as im:
                        size = _size_of(im)
                        alpha = alpha or _has_alpha(im)
                        frames = getattr(im, "n_frames", 1)
                        if frames > 1 and im.format != "MPO":
                            raise InputError(f"{f}: has {frames} frames itself; a folder's "
                                             "frames must be still images.")
            except InputError:
                raise
            except Exception as e:
                why = f"{f}: cannot read this image ({_short(e)})"
                if not keep_going:
                    raise InputError(f"{why}; fix or remove it, or pass --keep-going to skip "
                                     "unreadable frames.") from None
                self.skipped.append(why)
                continue
            if first is None:
                first = (f, size)
            elif size != first[1]:
                raise InputError(
                    f"{f} is {size[0]}x{size[1]} but {first[0].name} is "
                    f"{first[1][0]}x{first[1][1]}; every frame of a clip must have one size.")
            good.append(f)
        if first is None:
            raise InputError(f"{source}: no readable frame.")
        self.files = good
        w, h = first[1]
        folders = sorted({f.parent.resolve() for f in good})
        self.info = ClipInfo(source, kind, len(good), w, h, alpha, fps or DEFAULT_FPS,
                             folders=folders)

    def frames(self) -> Iterator[Frame]:
        from .engine.images import load_image

        step = Fraction(1) / (self.info.fps or DEFAULT_FPS)
        n = 0
        for f in self.files:
            try:
                pixels = load_image(f)
                if pixels.shape[:2] != (self.info.height, self.info.width):
                    raise InputError(f"{f}: is {pixels.shape[1]}x{pixels.shape[0]}, not "
                                     f"{self.info.width}x{self.info.height} like the others.")
            except InputError as e:
                if not self.keep_going:
                    raise InputError(f"{e} Nothing was written (--keep-going skips unreadable "
                                     "frames).") from None
                self.skipped.append(str(e))
                continue
            yield Frame(_channels(pixels, self.info.alpha), n, f.stem, n * step, step)
            n += 1


def _channels(pixels: np.ndarray, alpha: bool) -> np.ndarray:
    """Every frame of a clip with the same channels: RGBA when any frame has alpha."""
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    c = pixels.shape[2]
    if alpha and c == 3:
        full = np.iinfo(pixels.dtype).max if pixels.dtype.kind in "ui" else 1.0
        pixels = np.dstack([pixels, np.full(pixels.shape[:2], full, pixels.dtype)])
    elif not alpha and c == 4:
        pixels = pixels[:, :, :3]
    return pixels


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:160]


class AnimationReader(ClipReader):
    """An animated GIF / WebP / APNG through Pillow: composited frames with their durations."""

    def __init__(self, path: Path, fps: Optional[Fraction]) -> None:
        from PIL import Image

        from .engine.images import MAX_PIXELS

        self.path = path
        self.skipped = []
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with Image.open(path) as im:
                    count = getattr(im, "n_frames", 1)
                    w, h = im.size
                    fmt = im.format
                    alpha = _has_alpha(im)
                    loop = int(im.info.get("loop", 0) or 0)
                    for i in range(1, count):  # later frames may bring transparency
                        im.seek(i)
                        alpha = alpha or _has_alpha(im)
        except Exception as e:
            raise InputError(f"{path}: cannot read this animation ({_short(e)}). Is it "
                             "truncated or not an image?") from None
        self.fmt = fmt
        self.fps = fps
        self.info = ClipInfo(str(path), "animation", count, w, h, alpha, fps, loop=loop)

    def frames(self) -> Iterator[Frame]:
        from PIL import Image

        mode = "RGBA" if self.info.alpha else "RGB"
        start = Fraction(0)
        with Image.open(self.path) as im:
            for i in range(self.info.count):
                try:
                    im.seek(i)
                    im.load()
                    pixels = np.asarray(im.convert(mode))
                except Exception as e:
                    raise InputError(f"{self.path}: frame {i + 1} of {self.info.count} cannot be "
                                     f"read ({_short(e)}). Nothing was written.") from None
                ms = im.info.get("duration")
                if self.fps:
                    duration = Fraction(1) / self.fps
                elif ms:
                    duration = Fraction(ms).limit_denominator(1000) / 1000
                else:
                    duration = Fraction(1, 10)  # GIF viewers' usual stand-in for "0"
                yield Frame(pixels, i, f"frame_{i + 1:04d}", start, duration)
                start += duration


def import_av() -> Any:
    try:
        import av
    except ImportError as e:
        raise DependencyError(f"Video needs PyAV ({e}). Fix: {VIDEO_INSTALL}.") from None
    return av


class VideoReader(ClipReader):
    """A video through PyAV (FFmpeg): its first video stream as RGB frames, colour range and
    matrix as the stream tags them; the first audio stream's packets for writers to copy."""

    def __init__(self, path: Path, keep_going: bool, unknown: bool = False) -> None:
        av = import_av()
        self.path = path
        self.keep_going = keep_going
        self.skipped = []
        #: audio packets demuxed so far and not yet taken by a writer
        self.audio_packets: Deque[Any] = deque()
        try:
            self.container = av.open(str(path))
        except Exception as e:
            if unknown:
                raise InputError(f"{path}: unknown clip type; give a folder of frames, a glob, "
                                 f"a GIF / WebP / APNG, or a video ({_exts(VIDEO_EXTS)}).") \
                    from None
            raise InputError(f"{path}: cannot read this video ({_short(e)}). Is it truncated "
                             "or not a video?") from None
        try:
            videos = [s for s in self.container.streams.video]
            if not videos:
                kinds = sorted({s.type for s in self.container.streams}) or ["no streams"]
                raise InputError(f"{path}: has no video stream (only {', '.join(kinds)}); "
                                 "nothing to stylize.")
            self.stream = videos[0]
            self.audio = next(iter(self.container.streams.audio), None)
            cc = self.stream.codec_context
            count = int(self.stream.frames or 0) or self._count_packets()
            if count == 0:
                raise InputError(f"{path}: the video stream holds no frames.")
            rate = self.stream.average_rate or self.stream.guessed_rate
            color = {k: getattr(cc, k, None) for k in
                     ("color_range", "color_primaries", "color_trc", "colorspace")}
            self.info = ClipInfo(str(path), "video", count, cc.width, cc.height, False,
                                 Fraction(rate) if rate else None,
                                 audio=self.audio.codec_context.name if self.audio else None,
                                 color=color)
        except BaseException:
            self.container.close()
            raise

    def _count_packets(self) -> int:
        """Containers that do not store the frame count (WebM, MKV): count the video packets
        (a demux pass, no decoding)."""
        av = import_av()
        n = 0
        # a container of its own: seeking back to 0 would drop packets stamped before 0
        # (Opus's pre-skip), which the audio copy needs
        with av.open(str(self.path)) as c:
            for packet in c.demux(c.streams.video[0]):  # the stream frames() decodes
                if packet.size:
                    n += 1
        return n

    def frames(self) -> Iterator[Frame]:
        av = import_av()
        streams = [self.stream] + ([self.audio] if self.audio is not None else [])
        tb = self.stream.time_base
        step = Fraction(1) / self.info.fps if self.info.fps else Fraction(1, 25)
        pending: Optional[Tuple[np.ndarray, Fraction]] = None
        n = 0
        first_pts: Optional[Fraction] = None

        def decoded() -> Iterator[Any]:
            for packet in self.container.demux(streams):
                if packet.stream.type == "audio":
                    if packet.size:
                        self.audio_packets.append(packet)
                    continue
                try:
                    yield from packet.decode()
                except av.error.FFmpegError as e:
                    where = f"{self.path}: a frame near {float((packet.pts or 0) * tb):.2f} s"
                    if not self.keep_going:
                        raise InputError(f"{where} cannot be decoded ({_short(e)}). Nothing was "
                                         "written (--keep-going skips it).") from None
                    self.skipped.append(f"{where}: {_short(e)}")

        for vf in decoded():
            pixels = vf.to_ndarray(format="rgb24", src_colorspace=vf.colorspace or None,
                                   src_color_range=vf.color_range or None)
            t = Fraction(vf.pts * tb) if vf.pts is not None else n * step
            if first_pts is None:
                first_pts = t
            t -= first_pts
            if pending is not None:
                prev, prev_t = pending
                yield Frame(prev, n, f"frame_{n + 1:04d}", prev_t, max(t - prev_t, Fraction(0)))
                n += 1
            pending = (pixels, t)
        if pending is not None:
            yield Frame(pending[0], n, f"frame_{n + 1:04d}", pending[1], step)

    def close(self) -> None:
        self.container.close()


# -- writing -------------------------------------------------------------------------------------


def output_kind(out: str) -> str:
    """"folder" or an OUTPUT_TYPES value; InputError for an unknown file type."""
    p = Path(out)
    if p.is_dir() or out.endswith(("/", os.sep)) or not p.suffix:
        return "folder"
    kind = OUTPUT_TYPES.get(p.suffix.lower())
    if kind is None:
        raise InputError(f"{out}: unknown output type '{p.suffix}'; end it with "
                         f"{', '.join(sorted(OUTPUT_TYPES))}, or give a folder for PNG frames.")
    return kind


class ClipWriter:
    """write_all(frames) writes the whole clip atomically and returns how many frames."""

    notes: List[str]

    def write_all(self, frames: Iterator[Frame]) -> int:
        raise NotImplementedError


def open_writer(out: str, info: ClipInfo, reader: Optional[ClipReader] = None,
                replace: bool = False) -> ClipWriter:
    """The writer for `out`, checked before any frame is rendered: InputError if it would sit
    inside the input's folder, the folder holds images this module did not write, or it
    cannot be written."""
    kind = output_kind(out)
    target = Path(out).resolve()
    for folder in info.folders:
        if target == folder or folder in target.parents:
            raise InputError(f"{out}: is inside the input folder {folder}; a later run would "
                             "read the results as frames. Choose an output outside it.")
    if kind == "folder":
        return FolderWriter(Path(out), info)
    from .engine.images import check_writable

    check_writable(out)
    if kind in ("GIF", "WEBP", "APNG"):
        return AnimationWriter(Path(out), kind, info)
    return VideoWriter(Path(out), kind, info, reader if isinstance(reader, VideoReader) else None)


def _to_u8(pixels: np.ndarray) -> np.ndarray:
    from .engine.images import from_float, to_float

    if pixels.dtype == np.uint8:
        return pixels
    return from_float(to_float(pixels), np.dtype(np.uint8))


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp" + path.suffix,
                               dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _publish(tmp: Path, path: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
    os.replace(tmp, path)


class FolderWriter(ClipWriter):
    """One PNG per frame, NAME.png. Frames are staged in a hidden folder inside the output
    folder, moved in when the clip is complete, and listed in MANIFEST: a later run replaces
    exactly the frames listed there."""

    def __init__(self, folder: Path, info: ClipInfo) -> None:
        from .engine.images import check_writable

        self.folder = folder
        self.notes = []
        self.earlier: List[str] = []
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder}: is a file; give a folder, or a file name ending in "
                             f"{', '.join(sorted(OUTPUT_TYPES))}.")
        if folder.is_dir():
            ours = set(self._manifest())
            theirs = sorted(f.name for f in folder.iterdir() if f.is_file()
                            and not f.name.startswith(".") and f.suffix.lower() in FRAME_EXTS
                            and f.name not in ours)
            if theirs:
                more = f", … ({len(theirs)} in all)" if len(theirs) > 3 else ""
                raise InputError(
                    f"{folder}: holds images this command did not write ({', '.join(theirs[:3])}"
                    f"{more}); results would mix with them. Choose an empty or new folder.")
            self.earlier = sorted(n for n in ours if (folder / n).is_file())
        check_writable(folder / "frame.png")

    def _manifest(self) -> List[str]:
        try:
            data = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
            return [str(n) for n in data.get("frames", []) if "/" not in str(n)]
        except (OSError, ValueError, AttributeError):
            return []

    def write_all(self, frames: Iterator[Frame]) -> int:
        from .engine.images import save_image

        created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.folder))
        names: List[str] = []
        done = False
        try:
            for frame in frames:
                name = _unique(f"{frame.name}.png", names)
                save_image(stage / name, frame.pixels)
                names.append(name)
            if not names:
                raise InputError(f"{self.folder}: no frame was made; nothing written.")
            # the clip is complete: drop the earlier run's frames, move the new ones in
            for old in self.earlier:
                (self.folder / old).unlink(missing_ok=True)
            for name in names:
                os.replace(stage / name, self.folder / name)
            tmp = _temp_beside(self.folder / MANIFEST)
            tmp.write_text(json.dumps({"frames": names}, indent=0), encoding="utf-8")
            _publish(tmp, self.folder / MANIFEST)
            done = True
        finally:
            shutil.rmtree(stage, ignore_errors=True)
            if created and not done:  # a folder we made for nothing goes too
                with contextlib.suppress(OSError):
                    self.folder.rmdir()
        if self.earlier:
            self.notes.append(f"replaced the {len(self.earlier)} frames of an earlier run in "
                              f"{self.folder} with these {len(names)}")
        return len(names)


def _unique(name: str, taken: List[str]) -> str:
    candidate, k = name, 2
    while candidate in taken:
        stem, ext = os.path.splitext(name)
        candidate, k = f"{stem}-{k}{ext}", k + 1
    return candidate


class AnimationWriter(ClipWriter):
    """GIF / WebP / APNG through Pillow, durations (ms) and loop kept. GIF gets the frames one
    by one (Pillow keeps them as palette images); APNG and WebP take a list: the clip's
    frames are held until the end (measured in bench/animate_process.py)."""

    def __init__(self, path: Path, kind: str, info: ClipInfo) -> None:
        self.path = path
        self.kind = kind
        self.info = info
        self.notes = []
        if info.audio:
            self.notes.append(f"the audio track was left out: {kind} has no sound")

    def write_all(self, frames: Iterator[Frame]) -> int:
        from PIL import Image

        count = 0

        def image(frame: Frame) -> Any:
            nonlocal count
            count += 1
            im = Image.fromarray(_to_u8(frame.pixels))
            im.info["duration"] = max(1, round(float(frame.duration) * 1000))
            return im

        it = iter(frames)
        first_frame = next(it, None)
        if first_frame is None:
            raise InputError(f"{self.path}: no frame was made; nothing written.")
        first = image(first_frame)
        del first_frame
        tmp = _temp_beside(self.path)
        try:
            rest: Iterable[Any] = (image(f) for f in it)
            options: Dict[str, Any] = {"save_all": True, "loop": self.info.loop}
            if self.kind == "GIF":
                if self.info.alpha:
                    options["disposal"] = 2  # transparent pixels show the background
            else:  # Pillow's APNG / WebP writers take lists (it walks them twice)
                rest = list(rest)
                options["duration"] = [first.info["duration"]] + [im.info["duration"]
                                                                  for im in rest]
                if self.kind == "WEBP":
                    options.update(quality=90, method=4)
                else:
                    options["compress_level"] = 1  # as the stills' PNGs (images.py)
            with open(tmp, "wb") as f:
                first.save(f, format="PNG" if self.kind == "APNG" else self.kind,
                           append_images=rest, **options)
            _publish(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return count


class VideoWriter(ClipWriter):
    """MP4 / MOV / MKV (H.264) or WebM (VP9) through PyAV, one frame at a time. Frame times
    come from the input (fps and durations kept); a video input's colour range, primaries,
    transfer and matrix are kept, and its audio is copied where the container takes the codec.
    """

    def __init__(self, path: Path, fmt: str, info: ClipInfo,
                 reader: Optional[VideoReader]) -> None:
        self.av = import_av()
        self.path = path
        self.fmt = fmt
        self.info = info
        self.reader = reader
        self.notes = []
        self.copy_audio = False
        if info.audio:
            allowed = AUDIO_COPY.get(fmt)
            if reader is not None and (allowed is None or info.audio in allowed):
                self.copy_audio = True
            else:
                self.notes.append(f"the audio track ({info.audio}) was left out: "
                                  f"{path.suffix} cannot hold it as it is")
        if fmt != "webm" and (info.width % 2 or info.height % 2):
            self.notes.append("H.264 needs even sizes: the last row/column is repeated")

    def write_all(self, frames: Iterator[Frame]) -> int:
        av = self.av
        tmp = _temp_beside(self.path)
        out = av.open(str(tmp), "w", format=self.fmt)
        count = 0
        try:
            tb = Fraction(1, 1000) if self.info.fps is None else None
            if tb is None and self.reader is not None:
                tb = Fraction(self.reader.stream.time_base)
            if tb is None:
                tb = Fraction(1) / (self.info.fps or DEFAULT_FPS)
            alpha = self.info.alpha and self.fmt == "webm"
            if self.fmt == "webm":
                stream = out.add_stream("libvpx-vp9", rate=self.info.fps or DEFAULT_FPS)
                stream.options = {"crf": "30", "b:v": "0", "row-mt": "1", "deadline": "good",
                                  "cpu-used": "4"}
                stream.pix_fmt = "yuva420p" if alpha else "yuv420p"
            else:
                stream = out.add_stream("libx264", rate=self.info.fps or DEFAULT_FPS)
                stream.options = {"crf": "18", "preset": "medium"}
                stream.pix_fmt = "yuv420p"
            w, h = self.info.width, self.info.height
            if self.fmt != "webm":
                w, h = w + w % 2, h + h % 2
            stream.width, stream.height = w, h
            stream.time_base = tb
            stream.codec_context.time_base = tb
            color = self._color(stream)
            audio_out = None
            if self.copy_audio and self.reader is not None and self.reader.audio is not None:
                audio_out = out.add_stream_from_template(self.reader.audio)
            last_pts = -1
            for frame in frames:
                vf = self._frame(frame.pixels, alpha, w, h, color)
                pts = round(frame.start / tb)
                vf.pts = max(pts, last_pts + 1)  # strictly increasing, whatever the rounding
                last_pts = vf.pts
                vf.time_base = tb
                for packet in stream.encode(vf):
                    out.mux(packet)
                count += 1
                self._audio(out, audio_out)
            if count == 0:
                raise InputError(f"{self.path}: no frame was made; nothing written.")
            for packet in stream.encode(None):
                out.mux(packet)
            self._audio(out, audio_out)
            out.close()
            _publish(tmp, self.path)
        except BaseException:
            with contextlib.suppress(Exception):
                out.close()
            tmp.unlink(missing_ok=True)
            raise
        return count

    def _color(self, stream: Any) -> Dict[str, Any]:
        """The input's colour tags on the output stream; what a frame is converted with."""
        cc = stream.codec_context
        tags = {k: v for k, v in self.info.color.items() if v}
        for k, v in tags.items():
            with contextlib.suppress(Exception):  # a tag this PyAV cannot set: default stays
                setattr(cc, k, v)
        return tags

    def _frame(self, pixels: np.ndarray, alpha: bool, w: int, h: int,
               color: Dict[str, Any]) -> Any:
        av = self.av
        u8 = _to_u8(pixels)
        if u8.shape[:2] != (h, w):  # odd sizes for H.264: repeat the last row / column
            u8 = np.pad(u8, ((0, h - u8.shape[0]), (0, w - u8.shape[1]), (0, 0)), mode="edge")
        if alpha:
            rgb = av.VideoFrame.from_ndarray(np.ascontiguousarray(u8[:, :, :4]), format="rgba")
            return rgb.reformat(format="yuva420p")
        rgb = av.VideoFrame.from_ndarray(np.ascontiguousarray(u8[:, :, :3]), format="rgb24")
        kwargs: Dict[str, Any] = {"format": "yuv420p"}
        if color.get("colorspace"):
            kwargs["dst_colorspace"] = color["colorspace"]
        if color.get("color_range"):
            kwargs["dst_color_range"] = color["color_range"]
        if color.get("color_trc"):
            kwargs["dst_color_trc"] = color["color_trc"]
        if color.get("color_primaries"):
            kwargs["dst_color_primaries"] = color["color_primaries"]
        return rgb.reformat(**kwargs)

    def _audio(self, out: Any, audio_out: Any) -> None:
        """Mux the audio packets the reader demuxed so far (all of them once the video's last
        frame is read: the demuxer has reached the end)."""
        if self.reader is None:
            return
        queue = self.reader.audio_packets
        while queue:
            packet = queue.popleft()
            if audio_out is not None:
                packet.stream = audio_out
                out.mux(packet)

