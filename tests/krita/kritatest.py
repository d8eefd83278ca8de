"""Helpers for the Krita tests: find Krita, install the plugin with installer.py into a throw-away
Krita resource folder (XDG_DATA_HOME / XDG_CONFIG_HOME, exactly the user path), run kritarunner.

Two real Kritas run every test that takes the `krita_host` fixture (tests/krita/conftest.py):
  "5.1"  Debian 12's Krita 5.1.5 on this machine (Python 3.11, numpy 1.24), .ci/setup_krita.sh;
  "5.2"  Debian 13's Krita 5.2.9 inside the chroot .ci/setup_gimp.sh builds (Python 3.13,
         numpy 2.2). The repository, models and photos are COPIED into a scratch folder inside
         the chroot (STYLE_TRANSFER_KRITA_WORK, like the GIMP tests; nothing is bind-mounted),
         installer.py runs with the chroot's python3, Krita with `chroot ROOT env -i ...` in a
         private mount namespace with its own /proc and /sys, and the GUI reaches the host's
         Xvfb through its abstract socket.
Everything a test hands to Krita (paths in arguments and environment) goes through
`krita.inside(path)`; files Krita writes are read back on the host at the same Path.

Without Krita the tests skip, unless STYLE_TRANSFER_REQUIRE_HOSTS=1 (CI), then they fail."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, List, Optional, Sequence, Union

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ARTIFACTS = REPO / "tests" / "_artifacts" / "krita"
#: Krita's GUI with pyenv shims first on PATH finds no PyQt5 (HOST_NOTES): a plain system PATH
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Arg = Union[str, Path]


def _skip_or_fail(msg: str) -> None:
    if os.environ.get("STYLE_TRANSFER_REQUIRE_HOSTS") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


def _installer() -> ModuleType:
    """installer.py, for the rule that tells which Python a Krita embeds (one rule, not two)."""
    spec = importlib.util.spec_from_file_location("st_installer_for_tests", REPO / "installer.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _upstream(debian_version: str) -> str:
    """'1:5.2.9+dfsg-1+deb13u1' -> '5.2.9'."""
    m = re.match(r"(?:\d+:)?(\d+(?:\.\d+)*)", debian_version)
    return m.group(1) if m else debian_version


class KritaHost:
    """Debian's Krita on this machine (5.1.5): paths and commands are the host's own."""

    label = "5.1"
    where = "host"

    def __init__(self) -> None:
        self.version = ""  # e.g. "5.1.5", read from the installed package
        self.python = ""  # e.g. "3.11": the libpython Krita's Python plugin links
        self.models = Path()
        self.images = Path()
        self.artifacts = ARTIFACTS

    # -- lifetime --
    def problem(self) -> Optional[str]:
        """None when this Krita can run, else why not."""
        missing = [t for t in ("krita", "kritarunner") if shutil.which(t) is None]
        if missing:
            return f"Krita test needs {', '.join(missing)} (run .ci/setup_krita.sh)"
        return None

    def open(self, models: Path, images: Path) -> None:
        self.models, self.images = models, images
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self._read_versions()

    def close(self) -> None:
        pass

    def _root(self) -> Path:
        return Path("/")

    def _dpkg_version(self) -> str:
        r = self.run(["dpkg-query", "-W", "-f=${Version}", "krita"], self.base_env(),
                     timeout=60)
        return _upstream(r.stdout.strip()) if r.returncode == 0 else "?"

    def _read_versions(self) -> None:
        self.version = self._dpkg_version()
        libs = sorted(self._root().glob("usr/lib/*/kritaplugins/kritapykrita.so"))
        found = _installer().python_of_library(libs[0]) if libs else None
        self.python = found or "?"

    def require(self, *tools: str) -> None:
        """Skip (fail in CI) when this Krita or a host tool (Xvfb, import) is missing."""
        reason = self.problem()
        missing = [t for t in tools if shutil.which(t) is None]
        if not reason and missing:
            reason = f"Krita test needs {', '.join(missing)} (run .ci/setup_krita.sh)"
        if reason:
            _skip_or_fail(reason)

    @property
    def title(self) -> str:
        return f"Krita {self.version or self.label} (Python {self.python or '?'})"

    # -- where things are --
    def tmp(self, tmp_path: Path) -> Path:
        """A folder for one test that this Krita can read and write."""
        return tmp_path

    def inside(self, path: Arg) -> str:
        """`path` (a host Path) as this Krita sees it; strings pass unchanged."""
        return str(path)

    def image(self, name: str) -> str:
        return self.inside(self.images / name)

    @property
    def repo(self) -> Path:
        """The checkout this Krita's installer and test scripts come from (a host Path)."""
        return REPO

    # -- environments and commands --
    def base_env(self) -> Dict[str, str]:
        return dict(os.environ)

    def user_env(self, home: Path, **extra: str) -> Dict[str, str]:
        """A user whose Krita folders live under `home` (created here)."""
        env = self.base_env()
        env.update(XDG_DATA_HOME=self.inside(home / "data"),
                   XDG_CONFIG_HOME=self.inside(home / "config"),
                   XDG_CACHE_HOME=self.inside(home / "cache"),
                   XDG_RUNTIME_DIR=self.inside(home / "run"), LANG="C.UTF-8", **extra)
        for d in ("data", "config", "cache", "run"):
            (home / d).mkdir(parents=True, exist_ok=True)
        os.chmod(home / "run", 0o700)
        return env

    def krita_env(self, home: Path, **extra: str) -> Dict[str, str]:
        """user_env for Krita itself, with a temp folder of its own: Krita's GUI finds an
        instance already running through a socket in the temp folder (qtsingleapplication-*)
        and, if one answers, hands over and exits at once. With the shared /tmp a Krita of
        another test run on this machine answered (seen: 4 GUI tests whose Krita exited
        silently, no window). Krita's swap files and frame caches stay in `home` too."""
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        return self.user_env(home, TMPDIR=self.inside(home / "tmp"), **extra)

    def command(self, argv: Sequence[str], env: Dict[str, str],
                cwd: Optional[Path] = None) -> tuple:
        """(argv, env, cwd) for subprocess: here the command itself."""
        return list(argv), env, (str(cwd) if cwd else None)

    def run(self, argv: Sequence[str], env: Dict[str, str], cwd: Optional[Path] = None,
            timeout: float = 600, **kw: Any) -> subprocess.CompletedProcess:
        cmd, env2, cwd2 = self.command(argv, env, cwd)
        kw.setdefault("capture_output", "stdout" not in kw)
        return subprocess.run(cmd, env=env2, cwd=cwd2, text=True, timeout=timeout, **kw)

    def popen(self, argv: Sequence[str], env: Dict[str, str], cwd: Optional[Path] = None,
              **kw: Any) -> subprocess.Popen:
        """Started in its own process group: stop() ends Krita and whatever it started."""
        cmd, env2, cwd2 = self.command(argv, env, cwd)
        return subprocess.Popen(cmd, env=env2, cwd=cwd2, start_new_session=True, **kw)

    @staticmethod
    def stop(proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    # -- the plugin --
    def python_cmd(self) -> List[str]:
        """The Python that runs installer.py (as a user would: any python3)."""
        return [sys.executable]

    def run_installer(self, home: Path, models: Optional[Path], *extra: Arg,
                      timeout: float = 600) -> subprocess.CompletedProcess:
        args = [*self.python_cmd(), self.inside(self.repo / "installer.py"),
                *map(self.inside, extra)]
        if models is not None:
            args += ["--models", self.inside(models)]
        return self.run(args, self.user_env(home), timeout=timeout)

    def installed(self, home: Path) -> Path:
        """Install the plugin for this home; returns the pykrita folder Krita loads from."""
        r = self.run_installer(home, self.models)
        assert r.returncode == 0, r.stdout + r.stderr
        pykrita = home / "data" / "krita" / "pykrita"
        assert (pykrita / "style_transfer" / "__init__.py").is_file()
        return pykrita

    def kritarunner(self, home: Path, module: str, func: str, args: Sequence[Arg], out: Path,
                    timeout: int = 600) -> Dict[str, Any]:
        """Run `func(args)` of tests/krita/`module` in kritarunner; returns the JSON it wrote to
        `out` with kritarunner's exit code added as "exit_code" (-11 = segfault)."""
        env = self.krita_env(home, QT_QPA_PLATFORM="offscreen",
                             PYTHONPATH=self.inside(self.repo / "tests" / "krita"))
        log = out.with_suffix(".log")
        with open(log, "w", encoding="utf-8") as f:
            r = self.run(["kritarunner", "-s", module, "-f", func, *map(self.inside, args)],
                         env, cwd=home, timeout=timeout, stdout=f, stderr=subprocess.STDOUT)
        assert out.is_file(), f"kritarunner wrote no result; log: {log}\n" + log.read_text()[-3000:]
        result = json.loads(out.read_text(encoding="utf-8"))
        result["exit_code"] = r.returncode  # kritarunner itself exits 0, unless Krita crashed
        return result

    def python_has(self, module: str) -> bool:
        """Whether Krita's own Python imports `module` without the plugin's wheels: Debian's
        Krita embeds the system python3, which sees Debian's packages (python3-numpy, and
        python3-pil on many desktops). What the docker lists as missing depends on it."""
        code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
        return self.run([self.system_python, "-c", code], {"PATH": "/usr/bin:/bin"},
                        timeout=60).returncode == 0

    def other_pillow(self) -> str:
        """A folder holding Pillow for Krita's Python, to put on PYTHONPATH (as Krita sees it):
        a Pillow from outside the plugin's wheels, as a system-wide one is (from PyPI once)."""
        folder = REPO / "tests" / "_artifacts" / f"pillow-for-krita-{self.python}"
        if not (folder / "PIL").is_dir():
            r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target",
                                str(folder), "--only-binary", ":all:", "--python-version",
                                self.python, "--no-deps", "Pillow"], capture_output=True,
                               text=True, timeout=600)
            if r.returncode != 0:
                _skip_or_fail("could not install Pillow from PyPI: " + r.stderr[-2000:])
        return self.inside(self.visible(folder))

    def visible(self, folder: Path) -> Path:
        """`folder` (on this machine) where this Krita can read it."""
        return folder

    #: the python3 Debian's Krita embeds (the system one, not a pyenv/venv one on PATH)
    system_python = "/usr/bin/python3"


class ChrootKrita(KritaHost):
    """Debian 13's Krita 5.2.9 in the chroot .ci/setup_gimp.sh builds (shared with the GIMP
    tests, never rebuilt here). This session's files live in WORK inside it."""

    label = "5.2"
    where = "Debian 13 chroot"
    KRITA_MARKER = ".style-transfer-krita-ready"

    def __init__(self) -> None:
        super().__init__()
        from gimp.harness import PIP_CACHE, chroot_root

        self.root = chroot_root()
        self.pip_cache = PIP_CACHE
        # two checkouts testing at once each need their own; next to the GIMP tests' by default
        gimp_work = os.environ.get("STYLE_TRANSFER_GIMP_WORK")
        self.work = (os.environ.get("STYLE_TRANSFER_KRITA_WORK")
                     or (f"{gimp_work}-krita" if gimp_work else "/tmp/style-transfer-krita-tests"))
        self.artifacts = ARTIFACTS.with_name(f"krita-{self.label}")

    def host(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")

    @property
    def scratch(self) -> Path:
        return self.host(self.work)

    def problem(self) -> Optional[str]:
        from gimp.harness import chroot_ready

        reason = chroot_ready()
        if reason:
            return reason
        if not (self.root / self.KRITA_MARKER).is_file():
            return f"no Krita in the chroot {self.root}: run .ci/setup_gimp.sh"
        if shutil.which("unshare") is None:
            return "the Krita 5.2 tests need unshare (util-linux)"
        return None

    def open(self, models: Path, images: Path) -> None:
        from gimp.harness import GimpChroot

        if self.scratch.exists():
            shutil.rmtree(self.scratch)
        for sub in ("src", "models", "images", "tmp"):
            (self.scratch / sub).mkdir(parents=True)
        GimpChroot._copy_repo(self.scratch / "src")
        for f in models.glob("*.tflite"):
            shutil.copy2(f, self.scratch / "models" / f.name)
        for f in images.iterdir():
            if f.is_file():
                shutil.copy2(f, self.scratch / "images" / f.name)
        if self.artifacts.exists():
            shutil.rmtree(self.artifacts)
        super().open(self.scratch / "models", self.scratch / "images")

    def _root(self) -> Path:
        return self.root

    def visible(self, folder: Path) -> Path:
        copy = self.scratch / "host" / folder.name
        if not copy.is_dir():
            shutil.copytree(folder, copy)
        return copy

    def tmp(self, tmp_path: Path) -> Path:
        # pytest's tmp_path names are unique within a session; WORK is wiped at each open()
        d = self.scratch / "tmp" / tmp_path.name
        d.mkdir(parents=True, exist_ok=True)
        return d

    def inside(self, path: Arg) -> str:
        if isinstance(path, Path):
            try:
                return "/" + str(path.resolve().relative_to(self.root.resolve()))
            except ValueError:
                raise AssertionError(f"{path} is not inside the chroot {self.root}") from None
        return path

    @property
    def repo(self) -> Path:
        return self.scratch / "src"

    def base_env(self) -> Dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": f"{self.work}/tmp", "PIP_CACHE_DIR": self.pip_cache,
               "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "STYLE_TRANSFER_OFFLINE": os.environ.get("STYLE_TRANSFER_OFFLINE", "1")}
        if self.models != Path():
            env["STYLE_TRANSFER_MODELS"] = self.inside(self.models)
        # the runtime choice and the during-Apply canvas size (krita_cases) reach 5.2 as 5.1
        for key in ("STYLE_TRANSFER_RUNTIME", "STYLE_TRANSFER_DEVICE", "ST_DURING_APPLY_SIZE"):
            if os.environ.get(key):
                env[key] = os.environ[key]
        return env

    def user_env(self, home: Path, **extra: str) -> Dict[str, str]:
        return super().user_env(home, HOME=self.inside(home), **extra)

    def command(self, argv: Sequence[str], env: Dict[str, str],
                cwd: Optional[Path] = None) -> tuple:
        from gimp.harness import chroot_command

        cmd = chroot_command(self.root, env, argv, self.inside(cwd) if cwd else None)
        return cmd, {"PATH": SYSTEM_PATH}, None

    def python_cmd(self) -> List[str]:
        return ["python3"]  # the chroot's, the one Krita 5.2.9 embeds


#: the host's Krita, for the tests that run only there (installer, zip layout)
HOST = KritaHost()


def require_krita(*tools: str) -> None:
    HOST.require(*tools)


def user_env(home: Path) -> Dict[str, str]:
    return HOST.user_env(home)


def run_installer(home: Path, models: Optional[Path], *extra: str) -> subprocess.CompletedProcess:
    return HOST.run_installer(home, models, *extra)


PYQT6 = REPO / "tests" / "_artifacts" / "pyqt6"


def pyqt6_path() -> str:
    """A folder to put on sys.path for PyQt6 ("" if it already imports): Krita 6's binding,
    used by the off-host tests with the fake krita module. Installed from PyPI once."""
    import importlib.util

    spec = importlib.util.find_spec("PyQt6")
    if spec is not None and not str(spec.origin).startswith(str(PYQT6)):
        return ""  # installed elsewhere, on every process's path
    if not (PYQT6 / "PyQt6").is_dir():
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target",
                            str(PYQT6), "PyQt6"], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            if os.environ.get("STYLE_TRANSFER_REQUIRE_HOSTS") == "1":
                pytest.fail("could not install PyQt6 from PyPI: " + r.stderr[-2000:])
            pytest.skip("PyQt6 not installable here")
    return str(PYQT6)


def run_under_pyqt6(script: str, *args: str, timeout: int = 300) -> str:
    """Run `script` in a new Python with the fake krita module, PyQt6 (Krita 6's binding) and
    the plugin on its path, offscreen; assert it succeeded and return its stdout."""
    paths = [str(HERE / "fake_krita"), pyqt6_path(), str(REPO / "plugin")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p),
               QT_QPA_PLATFORM="offscreen")
    env.pop("STYLE_TRANSFER_QT", None)
    r = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout
