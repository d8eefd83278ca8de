"""A CLI child that takes Ctrl+C as a terminal user's would, for the cancel tests.

A suite started with SIGINT ignored (nohup, `&` in a script: CI) passes that on to its
children, and Python then installs no KeyboardInterrupt handler. The child restores it itself,
first thing, instead of a `preexec_fn`: Python code run between fork and exec in a pytest that
has threads (the engine's pools from earlier tests) can deadlock on a lock one of those threads
held at the fork — seen: a forked child asleep on a futex for 16 minutes."""

from __future__ import annotations

import sys
from typing import List

BOOT = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv = sys.argv[1:]; runpy.run_module(sys.argv[0], run_name='__main__', "
        "alter_sys=True)")


def cli_command(*args: str) -> List[str]:
    """`python -m style_transfer.cli ARGS` with Ctrl+C restored."""
    return [sys.executable, "-c", BOOT, "style_transfer.cli", *args]
