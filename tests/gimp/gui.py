"""The real GIMP 3 GUI (gimp-3.0 from the chroot) on a private Xvfb display with openbox.

Host side: Xvfb picks a free display itself (-displayfd), so a concurrent Krita GUI test on
another display cannot collide. openbox gives the image window real keyboard focus; without a
window manager XTEST keystrokes from xdotool never reach GIMP. GIMP inside the chroot reaches
the X server through its abstract socket (same network namespace), so nothing is mounted.

Every process started here is killed by its own PID / process group in close().
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .harness import REPO, SHARED, WORK, GimpChroot, chroot_command

HOST_TOOLS = {"Xvfb": "xvfb", "openbox": "openbox", "xdotool": "xdotool", "xprop": "x11-utils",
              "import": "imagemagick", "convert": "imagemagick"}
ARTIFACTS = REPO / "tests" / "_artifacts" / "gimp"
# The image window title (GIMP's default title format), e.g.
# "*[small] (imported)-1.0 (RGB color 8-bit non-linear integer, GIMP built-in sRGB, 2 layers)
#  200x133 – GIMP"; a leading '*' means the image has unsaved changes.
TITLE = re.compile(r"^(?P<dirty>\*?)\[small\].*, (?P<layers>\d+) layers?\) \d+x\d+ – GIMP$")
GIMPRC = """(show-welcome-dialog no)
(color-profile-policy keep)
(save-session-info no)
"""


def missing_host_tools() -> list[str]:
    return sorted({pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None})


class GuiSession:
    def __init__(self, gimp: GimpChroot, log_name: str = "gui-undo.log") -> None:
        self.gimp = gimp
        self.procs: list[subprocess.Popen] = []
        self.display = ""
        self.display_pipe: int | None = None
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log = (ARTIFACTS / log_name).open("w", encoding="utf-8")

    # -- lifetime --
    def _start(self, argv: list[str], **kw) -> subprocess.Popen:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True, **kw)
        self.procs.append(proc)
        return proc

    def start_x(self, timeout: float = 15) -> None:
        # -noreset: without it the server resets whenever its last client leaves (e.g. an early
        # xprop before openbox connected) and then writes the display number to -displayfd
        # again; the read end is kept open until close() for the same reason.
        read_fd, write_fd = os.pipe()
        self.display_pipe = read_fd
        try:
            self._start(["Xvfb", "-displayfd", str(write_fd), "-noreset", "-screen", "0",
                         "1280x800x24", "-nolisten", "tcp"], pass_fds=(write_fd,),
                        stdout=self.log, stderr=self.log)
        finally:
            os.close(write_fd)
        ready, _, _ = select.select([read_fd], [], [], timeout)
        number = os.read(read_fd, 32).decode().strip() if ready else ""
        if not number.isdigit():
            raise RuntimeError(f"Xvfb did not report a display within {timeout} s")
        self.display = f":{number}"
        self._start(["openbox", "--sm-disable"], env=self.host_env(), stdout=self.log,
                    stderr=self.log)
        # openbox is managing once it sets _NET_SUPPORTING_WM_CHECK on the root window.
        self.wait(lambda: "window id" in self.x(["xprop", "-root",
                                                  "_NET_SUPPORTING_WM_CHECK"]),
                  timeout, "openbox to start")

    def start_gimp(self, image: str, script: str, **extra_env: str) -> None:
        env = self.gimp.env(DISPLAY=self.display, **extra_env)
        argv = ["gimp-3.0", "-n", "--no-splash", "--gimprc", f"{WORK}/gui-gimprc",
                "--batch-interpreter", "python-fu-eval", "-b",
                f"exec(open({script!r}).read())", image]
        self.gimp.host_path(f"{WORK}/gui-gimprc").write_text(GIMPRC, encoding="utf-8")
        self.log.write(f"[gui] DISPLAY={self.display} {' '.join(argv)}\n")
        self.log.flush()
        self.gimp_proc = self._start(
            chroot_command(self.gimp.root, env, argv),
            stdout=self.log, stderr=self.log)

    def close(self) -> None:
        # GIMP (with its plug-ins, same process group), then openbox, then Xvfb. The whole group
        # even when its leader already exited: a plug-in may outlive a crashed GIMP. (Linux does
        # not hand out a PID while a process group of that id still exists.)
        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        self.procs.clear()
        if self.display_pipe is not None:
            os.close(self.display_pipe)
            self.display_pipe = None
        self.log.close()

    # -- X helpers --
    def host_env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DISPLAY": self.display,
                "HOME": os.environ.get("HOME", "/root")}

    def x(self, argv: list[str]) -> str:
        run = subprocess.run(argv, env=self.host_env(), capture_output=True, text=True,
                             timeout=20)
        return run.stdout

    def titles(self) -> dict[str, str]:
        """Window id -> title of every named window."""
        ids = self.x(["xdotool", "search", "--onlyvisible", "--name", "."]).split()
        return {wid: self.x(["xdotool", "getwindowname", wid]).strip() for wid in ids}

    def image_window(self) -> tuple[str, re.Match] | None:
        for wid, title in self.titles().items():
            match = TITLE.match(title)
            if match:
                return wid, match
        return None

    def windows(self, title: str) -> list[str]:
        """Ids of the visible windows titled exactly `title`."""
        return self.x(["xdotool", "search", "--onlyvisible", "--name",
                       f"^{re.escape(title)}$"]).split()

    def dismiss_welcome(self) -> None:
        """A first start of a new GIMP version shows "Welcome to GIMP x.y" whatever gimprc
        says: close it so it cannot hold the focus or cover a dialog."""
        for other, title in self.titles().items():
            if title.startswith("Welcome to GIMP"):
                self.x(["xdotool", "windowactivate", "--sync", other, "key", "Escape"])

    def dialog(self, title: str = "Style Transfer", timeout: float = 60) -> str:
        """Wait for the plug-in's dialog, close GIMP's welcome, return the dialog's id."""
        wid = self.wait(lambda: self.windows(title), timeout, f"the '{title}' dialog")[0]
        self.dismiss_welcome()
        return wid

    def open_style_chooser(self, n: int = 1) -> str:
        """Open the dialog's Style n file chooser (Alt+n, then Space if the mnemonic only
        focused the button); its window id."""
        self.x(["xdotool", "key", "--clearmodifiers", f"alt+{n}"])
        time.sleep(0.5)
        if not self.windows(f"Style {n}"):
            self.x(["xdotool", "key", "--clearmodifiers", "space"])
        return self.wait(lambda: self.windows(f"Style {n}"), 15, f"the Style {n} chooser")[0]

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / name
        subprocess.run(["import", "-window", "root", str(path)], env=self.host_env(),
                       check=True, timeout=30)
        return path

    def wait(self, condition, timeout: float, what: str, step: float = 0.25):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if getattr(self, "gimp_proc", None) is not None and self.gimp_proc.poll() is not None:
                raise RuntimeError(f"GIMP exited ({self.gimp_proc.returncode}) while waiting "
                                   f"for {what}")
            time.sleep(step)
        raise TimeoutError(f"timed out after {timeout} s waiting for {what}; windows: "
                           f"{self.titles()}")


def _prepare(gimp: GimpChroot, session: GuiSession, interactive: bool, label: str,
             width: int = 200, style: str = "udnie.jpg", props: dict | None = None,
             region: str | None = None, layers: int = 1, extra: dict | None = None,
             source: Path | None = None, **extra_env: str) -> Path:
    """Start GIMP on an image `width` px wide (always named small.png, the window title regex
    expects it; `layers` > 1: copies of its layer are added above, all selected) with
    tests/gimp/gui_case.py as its batch command (the plug-in run interactively or not);
    returns the host path of the result file. `source`: another picture than chicago.jpg."""
    images = gimp.host_path(f"{WORK}/images")
    picture = source or SHARED / "images" / "chicago.jpg"
    subprocess.run(["convert", str(picture), "-resize", f"{width}x", "-strip",
                    f"PNG24:{images / 'small.png'}"], check=True, timeout=60)
    out = f"{WORK}/out/{label}"
    gimp.host_path(out).mkdir(parents=True, exist_ok=True)
    result_file = gimp.host_path(f"{out}/result.json")
    result_file.unlink(missing_ok=True)
    config = {"result_file": f"{out}/result.json", "style": f"{WORK}/images/{style}",
              "interactive": interactive, "out_dir": out, "props": props or {},
              "region": region, "layers": layers, **(extra or {})}
    script = f"{WORK}/gui_case-{label}.py"
    gimp.host_path(script).write_text(
        f"CONFIG = {config!r}\n"  # a Python literal: True, not JSON true
        + (Path(__file__).parent / "gui_case.py").read_text(encoding="utf-8"),
        encoding="utf-8")
    session.start_gimp(f"{WORK}/images/small.png", script, **extra_env)
    return result_file


def read_result(session: GuiSession, result_file: Path, timeout: float, what: str) -> dict:
    session.wait(result_file.is_file, timeout, what)
    time.sleep(0.2)  # written in one go, but let the writer close it
    return json.loads(result_file.read_text(encoding="utf-8"))


def run_case(gimp: GimpChroot, session: GuiSession, region: str | None = None) -> dict:
    """Open a one-layer image in the GUI and run the plug-in on it through the PDB (`region`:
    that channel argument gets a new channel, see start_preview_case)."""
    result_file = _prepare(gimp, session, False, "gui", region=region)
    return read_result(session, result_file, 120, "the plug-in run in the GUI")


def forget_last_values(gimp: GimpChroot) -> None:
    """Remove GIMP's last used values and saved settings of the plug-in: an interactive run
    loads them instead of the arguments the test gives."""
    settings = gimp.host_path(f"{WORK}/home/.config/GIMP/3.0/plug-in-settings")
    for last in settings.glob("*plug-in-style-transfer*"):
        last.unlink()


def start_dialog_case(gimp: GimpChroot, session: GuiSession, layers: int = 1
                      ) -> tuple[Path, Path]:
    """Open an image of `layers` layers in the GUI and run the plug-in INTERACTIVELY on all of
    them, so its real dialog opens (the batch tests' STYLE_TRANSFER_GIMP_NO_DIALOG switch is
    turned off here), with the preview dumped (preview_pane.DUMP_ENV). Returns the result file,
    written once the dialog has been closed, and the dump folder."""
    out = gimp.host_path(f"{WORK}/out/gui-dialog")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        old.unlink()
    # without this the dialog opened with whatever an earlier test left (in a clean CI run:
    # no style, so no preview ever came)
    forget_last_values(gimp)
    result = _prepare(gimp, session, True, "gui-dialog", layers=layers,
                      STYLE_TRANSFER_GIMP_NO_DIALOG="0",
                      STYLE_TRANSFER_GIMP_PREVIEW_DUMP=f"{WORK}/out/gui-dialog")
    return result, out


def start_preview_case(gimp: GimpChroot, session: GuiSession, width: int, label: str,
                       style: str = "udnie.jpg", props: dict | None = None,
                       region: str | None = None, layers: int = 1, extra: dict | None = None,
                       source: Path | None = None, **extra_env: str) -> tuple[Path, Path]:
    """The dialog on a `width` px image, style-1 = images/`style`, other arguments from
    `props` (`region`: that channel argument gets a new channel "Sky", white on the left
    half), with the preview dumped (preview_pane.DUMP_ENV) into the case's folder; `layers`
    and `extra` (more gui_case.py CONFIG: flip_copies, ramp, save_stack) as gui_case.py says.
    GIMP's last used values are removed first: an interactive run would load them instead of
    the arguments given. Returns (result file, that folder)."""
    out = gimp.host_path(f"{WORK}/out/{label}")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        old.unlink()
    forget_last_values(gimp)
    result = _prepare(gimp, session, True, label, width=width, style=style, props=props,
                      region=region, layers=layers, extra=extra, source=source,
                      STYLE_TRANSFER_GIMP_NO_DIALOG="0",
                      STYLE_TRANSFER_GIMP_PREVIEW_DUMP=f"{WORK}/out/{label}", **extra_env)
    return result, out


def hold_painting(gimp: GimpChroot, label: str) -> tuple[dict[str, str], Path]:
    """(environment, host folder) that hold the plug-in's first render at its "painting" stage
    (engine.progress: it writes <folder>/reached and waits for <folder>/open): a test acts
    "while it paints" however fast this CPU renders."""
    inside = f"{WORK}/out/{label}-gate"
    folder = gimp.host_path(inside)
    shutil.rmtree(folder, ignore_errors=True)
    return {"STYLE_TRANSFER_TEST_HOLD": f"painting@{inside}"}, folder
