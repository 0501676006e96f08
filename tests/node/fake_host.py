"""A scripted machine for ``StorageSetup``: block devices, links, md arrays, mounts, packages.

It answers the way the real tools do (``blkid -p`` exits 2 on a blank device, ``mdadm
--examine`` fails on a non-member, ``mkfs`` leaves a file system with a new UUID, a mounted
directory lists the file system's content) and records everything the setup did, in order,
as a transcript the tests compare against golden files.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from pcluster_pulumi.node.host import CommandResult, StorageError


@dataclass
class FakeHost:
    #: Real device path → ``blkid -p -o export`` fields ({} = blank).
    devices: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Symlink → target (``/dev/disk/by-id/…``, ``/dev/sdf`` on AMIs with EBS udev rules).
    links: dict[str, str] = field(default_factory=dict)
    #: Path → clock time it appears (volumes attached after boot).
    appears_at: dict[str, float] = field(default_factory=dict)
    #: Directory → names it holds while nothing is mounted on it.
    dirs: dict[str, list[str]] = field(default_factory=dict)
    #: File system (device path or network source) → names at its root.
    filesystems: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    mounted: dict[str, str] = field(default_factory=dict)
    arrays: dict[str, list[str]] = field(default_factory=dict)
    programs: set[str] = field(
        default_factory=lambda: {"blkid", "mdadm", "mkfs.ext4", "mount", "systemctl", "exportfs", "dnf"}
    )
    #: Package → program it provides, for packages the package manager can install.
    installable: dict[str, str] = field(default_factory=lambda: {"amazon-efs-utils": "mount.efs"})
    #: Network source → how many mount attempts fail before one succeeds.
    flaky_sources: dict[str, int] = field(default_factory=dict)
    clock: float = 0.0
    transcript: list[str] = field(default_factory=list)
    _uuids: int = 0

    def __post_init__(self) -> None:
        self.dirs.setdefault("/run/systemd/system", [])  # booted with systemd

    # -- Host -----------------------------------------------------------------------------

    def run(self, argv: Sequence[str], *, answers: str | None = None) -> str:
        self.transcript.append("$ " + shlex.join(argv) + (" <<< " + repr(answers) if answers else ""))
        result = self._execute(list(argv))
        if result.returncode != 0:
            raise StorageError(f"{shlex.join(argv)}: {result.stderr}")
        return result.stdout

    def probe(self, argv: Sequence[str]) -> CommandResult:
        result = self._execute(list(argv))
        self.transcript.append(f"? {shlex.join(argv)} (exit {result.returncode})")
        return result

    def exists(self, path: str) -> bool:
        if self.appears_at.get(path, 0.0) > self.clock:
            return False
        if path in self.links:
            return self.exists(self.links[path])
        return path in self.devices or path in self.dirs

    def resolve(self, path: str) -> str:
        while path in self.links:
            path = self.links[path]
        return path

    def listdir(self, path: str) -> list[str]:
        if path in self.mounted:
            return sorted(self.filesystems.get(self.mounted[path], []))
        return sorted(self.dirs.get(path, []))

    def read_text(self, path: str) -> str | None:
        return self.files.get(path)

    def write_text(self, path: str, text: str, mode: int = 0o644) -> None:
        self.transcript.append(f"write {path} ({mode:o})")
        self.files[path] = text

    def makedirs(self, path: str) -> None:
        if path not in self.dirs:
            self.transcript.append(f"mkdir -p {path}")
            self.dirs[path] = []

    def is_mounted(self, path: str) -> bool:
        return path in self.mounted

    def which(self, program: str) -> str | None:
        return f"/usr/sbin/{program}" if program in self.programs else None

    def sleep(self, seconds: float) -> None:
        self.clock += seconds

    def monotonic(self) -> float:
        return self.clock

    def log(self, message: str) -> None:
        self.transcript.append(f"# {message}")

    # -- the tools ------------------------------------------------------------------------

    def _execute(self, argv: list[str]) -> CommandResult:
        tool = argv[0]
        if tool == "blkid":
            signature = self.devices.get(argv[-1])
            if signature is None:
                return CommandResult(2, "", "")
            if not signature:
                return CommandResult(2, "", "")
            text = "".join(f"{k}={v}\n" for k, v in {"DEVNAME": argv[-1], **signature}.items())
            return CommandResult(0, text, "")
        if tool.startswith("mkfs."):
            self._uuids += 1
            uuid = f"0000000{self._uuids}-aaaa-4bbb-8ccc-dddddddddddd"
            self.devices[argv[-1]] = {"UUID": uuid, "TYPE": tool[5:], "USAGE": "filesystem"}
            self.filesystems[argv[-1]] = ["lost+found"]
            return CommandResult(0, "", "")
        if tool == "mdadm":
            return self._mdadm(argv)
        if tool == "mount":
            return self._mount(argv)
        if tool == "umount":
            self.mounted.pop(argv[-1], None)
            return CommandResult(0, "", "")
        if tool == "cp":
            source, target = argv[-2].removesuffix("/."), argv[-1].rstrip("/")
            names = self.listdir(source)
            if target in self.mounted:
                self.filesystems[self.mounted[target]] = names
            else:
                self.dirs[target] = names
            return CommandResult(0, "", "")
        if tool in ("dnf", "yum") or argv[:3] == ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]:
            package = argv[-1]
            if "install" in argv and package in self.installable:
                self.programs.add(self.installable[package])
                return CommandResult(0, "", "")
            if "update" in argv:
                return CommandResult(0, "", "")
            return CommandResult(1, "", f"Error: Unable to find a match: {package}")
        return CommandResult(0, "", "")

    def _mdadm(self, argv: list[str]) -> CommandResult:
        if argv[1] == "--detail":
            device = argv[-1]
            if device not in self.arrays:
                return CommandResult(1, "", f"mdadm: cannot open {device}")
            return CommandResult(
                0, f"ARRAY {device} metadata=1.2 UUID=11111111:22222222:33333333:44444444\n", ""
            )
        if argv[1] == "--examine":
            member = self.devices.get(argv[-1], {})
            return CommandResult(0 if member.get("TYPE") == "linux_raid_member" else 1, "", "")
        device = argv[2]
        members = [a for a in argv[3:] if not a.startswith("--")]
        if argv[1] == "--create":
            for member in members:
                self.devices[member] = {"TYPE": "linux_raid_member", "USAGE": "raid"}
            self.devices[device] = {}
        self.arrays[device] = members
        return CommandResult(0, "", "")

    def _mount(self, argv: list[str]) -> CommandResult:
        fstype, source, target = argv[2], argv[-2], argv[-1]
        if fstype == "efs" and "mount.efs" not in self.programs:
            return CommandResult(32, "", "mount: unknown filesystem type 'efs'")
        if self.flaky_sources.get(source, 0) > 0:
            self.flaky_sources[source] -= 1
            return CommandResult(32, "", f"mount.nfs4: Connection timed out ({source})")
        key = source
        if source.startswith("UUID="):
            uuid = source[len("UUID=") :]
            key = next(dev for dev, sig in self.devices.items() if sig.get("UUID") == uuid)
        self.mounted[target] = key
        return CommandResult(0, "", "")

    # -- test helpers -----------------------------------------------------------------

    def attach(self, device: str, *, volume_id: str | None = None, at: float = 0.0, **signature: str) -> None:
        """A volume appears as device (with its by-id link when volume_id is given) at clock time at."""
        self.devices[device] = dict(signature)
        self.appears_at[device] = at
        if volume_id:
            link = "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_" + volume_id.replace("-", "", 1)
            self.links[link] = device
            self.appears_at[link] = at

    def commands(self) -> list[str]:
        """The commands run (not probes, logs or file writes)."""
        return [line[2:].split(" <<< ")[0] for line in self.transcript if line.startswith("$ ")]

    def report(self, *paths: str) -> str:
        """The transcript, then the files written, for a golden file."""
        out = list(self.transcript)
        for path in paths:
            out += ["", f"== {path}", (self.files.get(path) or "(absent)").rstrip("\n")]
        return "\n".join(out) + "\n"
