"""A Pulumi CLI found on PATH in a folder not named ``bin`` is driven, not reported unusable.

The stand-in ``pulumi`` answers ``version`` as the real one does and records every other call,
so the test sees which binary the Automation API runs and with which PATH.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pcluster_pulumi.engines.automation.stack import PulumiNotInstalled, pulumi_command

STAND_IN = """#!/bin/sh
if [ "$1" = "version" ]; then echo v3.200.0; exit 0; fi
echo "$0 $*" >> "{log}"
echo "PATH=$PATH" >> "{log}"
echo '[]'
"""


def stand_in(folder: Path, log: Path) -> Path:
    folder.mkdir(parents=True)
    binary = folder / "pulumi"
    binary.write_text(STAND_IN.format(log=log))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


@pytest.mark.parametrize("folder", ["tools/pulumi-3.200", "opt/pulumi", "bin"])
def test_the_binary_found_is_the_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    log = tmp_path / "calls.log"
    binary = stand_in(tmp_path / folder, log)
    monkeypatch.setenv("PATH", f"{binary.parent}:/usr/bin:/bin")

    command = pulumi_command({"PATH": str(binary.parent)}, tmp_path / "home")
    result = command.run(["stack", "ls", "--json"], str(tmp_path), {})

    assert command.version is not None and str(command.version) == "3.200.0"
    assert command.command == str(binary)
    assert result.stdout.strip() == "[]"
    ran, path = log.read_text().splitlines()[:2]
    assert ran.split()[0] == str(binary)
    assert "stack ls --json" in ran
    assert path.removeprefix("PATH=").split(":")[0] == str(binary.parent)  # its plugins come first


def test_a_binary_that_cannot_run_is_one_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "opt" / "pulumi"
    folder.mkdir(parents=True)
    broken = folder / "pulumi"
    broken.write_text("#!/nonexistent/interpreter\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)

    with pytest.raises(PulumiNotInstalled) as raised:
        pulumi_command({"PATH": str(folder)}, tmp_path / "home")

    assert str(raised.value).startswith(f"the Pulumi CLI at {broken} cannot be run")
