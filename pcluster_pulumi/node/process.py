"""How node programs start and end: no garbage-collector work, no interpreter teardown.

slurmctld starts a fresh interpreter for every ResumeProgram / SuspendProgram run, on the head
node it also runs on. Such a process lives for seconds and frees everything at exit, so the
cyclic garbage collector only burns CPU (it walks botocore's model objects again and again
while a 1000-instance response is parsed), and so does the interpreter's teardown (destroying
every module and object one by one). ``run_main`` turns the collector off, and once the logs
are flushed leaves with ``os._exit``: same exit status, same log lines, less CPU. A
long-running program (the keeper under systemd) keeps its collector but freezes the start-up
objects, so each collection only walks what a pass created.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn


def run_main(main: Callable[[], int | None], *, long_running: bool = False) -> NoReturn:
    """Run a program's main() and exit the process with its status, skipping teardown."""
    if long_running:
        gc.freeze()
    else:
        gc.disable()
    try:
        code = exit_status(main())
    except SystemExit as stop:  # argparse errors and --help, sys.exit() inside main
        code = exit_status(stop.code)
    except BaseException:  # what the interpreter would print and exit 1 with
        # Imported here: only a crashing run needs it (start-up time).
        import traceback

        traceback.print_exc()
        code = 1
    flush()
    os._exit(code)


def exit_status(code: object) -> int:
    """The process status Python gives ``sys.exit(code)``: None → 0, an int as is, else 1 (printed)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def flush() -> None:
    """Everything os._exit would lose: log handlers (files closed) and the standard streams."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or broken pipe: nothing to save
            stream.flush()
