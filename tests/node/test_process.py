"""run_main: a node program exits with main's status, logs flushed, collector off, no teardown.

Each case runs a real child interpreter, because what is under test — ``os._exit``, the
garbage collector, what reaches a log file — only shows from outside the process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pcluster_pulumi.node.process import exit_status

ROOT = Path(__file__).resolve().parents[2]


def run(body: str, tmp_path: Path, long_running: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `body` as main() under run_main in a child; its log goes to tmp_path/prog.log."""
    source = textwrap.dedent(
        """
        import atexit, gc, logging, sys
        from pcluster_pulumi.node.process import run_main
        logging.basicConfig(filename=sys.argv[1], level=logging.INFO)
        log = logging.getLogger("prog")
        atexit.register(lambda: print("teardown ran"))

        def main():
        {body}

        run_main(main, long_running={long_running})
        """
    ).format(body=textwrap.indent(textwrap.dedent(body), "    "), long_running=long_running)
    return subprocess.run(
        [sys.executable, "-c", source, str(tmp_path / "prog.log")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_exit_status_logs_flushed_and_no_teardown(tmp_path: Path) -> None:
    done = run(
        """
        log.info("collector enabled: %s", gc.isenabled())
        print("to stdout", end="")  # no newline: only an explicit flush writes it
        return 3
        """,
        tmp_path,
    )
    assert done.returncode == 3
    assert done.stdout == "to stdout"  # flushed, and atexit (interpreter teardown) never ran
    assert "collector enabled: False" in (tmp_path / "prog.log").read_text()


def test_long_running_programs_keep_their_collector(tmp_path: Path) -> None:
    done = run('log.info("collector enabled: %s", gc.isenabled())\nreturn 0', tmp_path, long_running=True)
    assert done.returncode == 0
    assert "collector enabled: True" in (tmp_path / "prog.log").read_text()


def test_sys_exit_and_argparse_errors_keep_their_status(tmp_path: Path) -> None:
    assert run("sys.exit(4)", tmp_path).returncode == 4
    done = run("import argparse\nargparse.ArgumentParser(prog='p').parse_args(['--nope'])", tmp_path)
    assert done.returncode == 2 and "unrecognized arguments: --nope" in done.stderr


def test_a_crash_prints_its_traceback_and_exits_1(tmp_path: Path) -> None:
    done = run('log.info("before")\nraise RuntimeError("boom")', tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "RuntimeError: boom" in done.stderr
    assert "before" in (tmp_path / "prog.log").read_text()


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (5, 5), ("message", 1)])
def test_exit_status_matches_sys_exit(code: object, status: int) -> None:
    assert exit_status(code) == status
