"""Drive real GIMP 3 inside the cached Debian 13 chroot built by .ci/setup_gimp.sh.

Nothing is bind-mounted: the repository (tracked + untracked-but-not-ignored files) and the
models are COPIED into a scratch folder inside the chroot, so a crashed test run cannot leave a
mount behind that breaks the next CI job or lets `rm -rf` reach the host. Every command runs
in a private mount namespace with a /proc and a read-only /sys of its own (chroot_command):
LiteRT and OpenVINO read the CPU there, and a shared /proc that another test session unmounted
meanwhile made GIMP's runs time out ("failed to parse /proc/cpuinfo").

Paths are computed from this file: the repo is two folders up, the shared models/images live in
../shared beside the repo (as in the CI clone) unless STYLE_TRANSFER_SHARED says otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("STYLE_TRANSFER_SHARED") or REPO.parent / "shared")
DEFAULT_ROOT = "/var/cache/style-transfer-ci/gimp-trixie"
MARKER = ".style-transfer-ready"
# inside the chroot; two checkouts testing at once on one machine each set their own
WORK = os.environ.get("STYLE_TRANSFER_GIMP_WORK") or "/tmp/style-transfer-gimp-tests"
PIP_CACHE = "/var/cache/style-transfer-pip"  # inside the chroot, survives between CI runs
GIMP_CMD = ["gimp-console-3.0", "-idf", "--batch-interpreter", "python-fu-eval", "-b", "-",
            "--quit"]
IMAGES = ["chicago.jpg", "udnie.jpg", "stripes.jpg"]


def chroot_root() -> Path:
    return Path(os.environ.get("STYLE_TRANSFER_GIMP_ROOT") or DEFAULT_ROOT)


def chroot_ready() -> str | None:
    """None when usable, else why not (used as the skip/fail reason)."""
    root = chroot_root()
    if os.geteuid() != 0:
        return "GIMP tests need root (chroot)"
    if not (root / MARKER).is_file():
        return f"no GIMP chroot at {root}: run .ci/setup_gimp.sh first"
    if not (SHARED / "models").is_dir():
        return f"no models folder at {SHARED / 'models'} (set STYLE_TRANSFER_SHARED)"
    return None


@dataclass
class Run:
    returncode: int | None  # None = killed after the timeout
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"


#: runs "$@" chrooted into "$0" after mounting /proc and a read-only /sys there, inside the
#: private mount namespace `unshare` made: nothing shows on the host or outlives the command, and
#: no other session can unmount them meanwhile. Without /proc, OpenVINO's CPU probe spins forever
#: (seen: Krita's UI thread at 100 % in ov::get_proc_type_table after another session unmounted
#: a shared /proc); without /sys it cannot read the CPU topology.
IN_CHROOT = ('mount -t proc proc "$0/proc" && mount -t sysfs -o ro sysfs "$0/sys" '
             '&& exec chroot "$0" "$@"')


def chroot_command(root: Path, env: dict[str, str], argv: list[str],
                   cwd: str | None = None) -> list[str]:
    """argv run inside the chroot with exactly `env` (nothing of the host's leaks in), in `cwd`
    (a path inside the chroot) if given; one process (unshare and sh exec into it), so killing
    its group reaches everything."""
    chdir = ["-C", cwd] if cwd else []
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", IN_CHROOT,
            str(root), "env", "-i", *chdir, *[f"{k}={v}" for k, v in env.items()], *argv]


@dataclass
class GimpChroot:
    root: Path = field(default_factory=chroot_root)

    def host_path(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")

    # -- lifetime --
    def open(self) -> None:
        work = self.host_path(WORK)
        if work.exists():
            shutil.rmtree(work)
        for sub in ("src", "models", "images", "home", "out", "empty"):
            (work / sub).mkdir(parents=True)
        self._copy_repo(work / "src")
        for model in (SHARED / "models").glob("*.tflite"):
            shutil.copy2(model, work / "models" / model.name)
        for image in IMAGES:
            shutil.copy2(SHARED / "images" / image, work / "images" / image)

    def close(self) -> None:
        pass  # nothing mounted on the host: each command had its own /proc

    @staticmethod
    def _copy_repo(dest: Path) -> None:
        # What a user would have after cloning + editing: tracked and new files, not ignored
        # build output or venvs.
        try:
            listed = subprocess.run(
                ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others",
                 "--exclude-standard"], check=True, capture_output=True).stdout
            files = [f for f in listed.decode().split("\0") if f]
        except (OSError, subprocess.CalledProcessError):
            files = [str(p.relative_to(REPO)) for p in REPO.rglob("*")
                     if p.is_file() and ".git" not in p.parts and "__pycache__" not in p.parts]
        for rel in files:
            src = REPO / rel
            if src.is_file():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / rel)

    # -- running things inside --
    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "HOME": f"{WORK}/home",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PIP_CACHE_DIR": PIP_CACHE,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            # The installer put verified models into the user cache; never hit the network.
            "STYLE_TRANSFER_OFFLINE": "1",
            # Interactive runs skip the dialog (no display here); see plugin.run.
            "STYLE_TRANSFER_GIMP_NO_DIALOG": "1",
            # The plug-in's log file outside HOME: the uninstall test checks HOME is left clean.
            "STYLE_TRANSFER_LOG_DIR": f"{WORK}/logs",
        }
        env.update(extra)
        return env

    def run(self, argv: list[str], env: dict[str, str], stdin: str | None = None,
            timeout: float = 600) -> Run:
        cmd = chroot_command(self.root, env, argv)
        start = time.monotonic()
        # Own process group: on a timeout the whole tree (GIMP + its plug-ins) is killed.
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            code = None
            err += f"\n[harness] killed after {timeout:.0f} s"
        return Run(code, out, err, time.monotonic() - start)

    def install(self, *args: str) -> Run:
        """installer.py --gimp as a user runs it: GIMP's own python3, HOME-based folders."""
        return self.run(["python3", f"{WORK}/src/installer.py", "--gimp",
                         "--models", f"{WORK}/models", *args], self.env(), timeout=900)

    def plugin_dir(self) -> Path:
        return self.host_path(f"{WORK}/home/.config/GIMP/3.0/plug-ins/style-transfer")

    def run_cases(self, label: str, cases: list[str], timeout: float = 480,
                  **env: str) -> tuple[Run, dict | None]:
        """One GIMP batch session running tests/gimp/batch_cases.py for `cases`."""
        out_dir = f"{WORK}/out/{label}"
        self.host_path(out_dir).mkdir(parents=True, exist_ok=True)
        result_file = f"{out_dir}/result.json"
        config = {"out_dir": out_dir, "images_dir": f"{WORK}/images", "cases": cases,
                  "result_file": result_file}
        script = (f"CONFIG = {json.dumps(config)}\n"
                  + (Path(__file__).parent / "batch_cases.py").read_text(encoding="utf-8"))
        run = self.run(GIMP_CMD, self.env(**env), stdin=script, timeout=timeout)
        result_path = self.host_path(result_file)
        result = json.loads(result_path.read_text(encoding="utf-8")) if result_path.is_file() \
            else None
        return run, result

    def out_file(self, label: str, name: str) -> Path:
        return self.host_path(f"{WORK}/out/{label}/{name}")
