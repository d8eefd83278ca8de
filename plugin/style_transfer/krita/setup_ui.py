"""The docker's setup part: what a render needs and is missing — packages (*Install
dependencies*) and models (*Download models*) — run through controller.Job on a worker thread,
and the status line (the runtime renders run on). A mixin of StyleTransferDocker, which owns the
widgets (install_btn, download_btn, message, progress, status, apply/cancel buttons)."""

from __future__ import annotations

from typing import Any, List

from ..common.messages import SetupError
from . import controller as ctl


class SetupMixin:
    """Install dependencies / Download models / status line, for StyleTransferDocker."""

    # what the docker provides (declared here so the mixin reads on its own)
    ctl: ctl.Controller
    settings: Any
    _setup_job: Any
    install_btn: Any
    download_btn: Any
    apply_btn: Any
    message: Any
    progress: Any
    status: Any
    show_message: Any
    schedule_preview: Any
    _on_busy: Any
    _on_progress: Any

    def _check_setup(self) -> None:
        """What a render needs and is missing: packages (Install dependencies), models
        (Download models); otherwise the runtime in the status line."""
        self.install_btn.hide()
        self.download_btn.hide()
        try:
            engine = self.ctl.engine()
        except SetupError as e:
            self.install_btn.show()
            self.show_message(str(e))
            self.status.setText("Not ready: packages missing")
            return
        problem = ctl.check_ready(engine, self.settings.model)
        if problem:
            self.download_btn.setVisible(bool(self._needed_models()))
            self.show_message(problem)
            self.status.setText("Not ready: models missing")
            return
        self._show_runtime_status()

    def _needed_models(self) -> List[str]:
        from . import setup

        try:
            return setup.needed_models(self.settings.model)
        except Exception:  # an unknown model name: the message above says so
            return []

    def _show_runtime_status(self) -> None:
        engine = self.ctl._engine
        status = getattr(engine, "runtime_status", None)
        if status is None:
            self.status.setText("Ready")
            return
        try:
            self.status.setText(f"Ready · {status(self.settings.runtime)}")
        except Exception as e:  # a broken OpenVINO must not break the docker
            self.status.setText(f"Ready · {e}")

    def install_dependencies(self) -> None:
        from . import setup

        self._run_setup(setup.install_dependencies, self._installed, "Installing dependencies",
                        busy_bar=True)

    def download_models(self) -> None:
        from . import setup

        ids = self._needed_models()
        self._run_setup(lambda p, t: setup.download_models(ids, p, t), self._downloaded,
                        "Downloading models")

    def _run_setup(self, fn: Any, done: Any, what: str, busy_bar: bool = False) -> None:
        if self._setup_job is not None or self.ctl.busy:
            return
        job = ctl.Job(fn)
        job.progressed.connect(self._on_progress)
        job.succeeded.connect(done)
        job.failed.connect(self._setup_failed)
        job.cancelled.connect(lambda: self._setup_failed("Cancelled."))
        self._setup_job = job
        self.show_message(f"{what}… (this can take a few minutes)")
        self.install_btn.setEnabled(False)
        self.download_btn.setEnabled(False)
        self._on_busy(True)
        self.apply_btn.setEnabled(False)
        if busy_bar:
            self.progress.setRange(0, 0)  # pip gives no fraction: a busy bar
        job.start()

    def _setup_end(self) -> None:
        self._setup_job = None
        self.install_btn.setEnabled(True)
        self.download_btn.setEnabled(True)
        self.progress.setRange(0, 100)
        self._on_busy(False)

    def _setup_failed(self, message: str) -> None:
        self._setup_end()
        self.show_message(message)

    def _installed(self, usable_now: bool) -> None:
        self._setup_end()
        self.ctl.reset_engine()
        if usable_now:
            try:
                self.ctl.engine()
            except SetupError as e:
                ctl.log.warning("engine import after install failed: %s", e)
                usable_now = False
        if not usable_now:
            self.show_message("Dependencies installed: restart Krita to use them.")
            self.status.setText("Restart Krita")
            return
        self._check_setup()
        done = "Dependencies installed; no restart needed."
        # models may still be missing: then say both, the download button is shown
        self.show_message(f"{done} {self.message.text()}" if self.download_btn.isVisible()
                          else done)

    def _downloaded(self, count: int) -> None:
        self._setup_end()
        self._check_setup()
        if not self.download_btn.isVisible():
            self.show_message(f"Downloaded {count} model file{'s' if count != 1 else ''}.")
            self.schedule_preview()
