"""Reading a bundle the way Lambda does before the local runtime runs it: its files unzipped with
their Unix modes (an executable shipped in the zip stays executable), and its native code checked
against this machine's architecture before any process starts.

Lambda unpacks a deployment package keeping each file's permissions from the zip (the upper 16 bits
of a member's external_attr, on a member made on Unix). zipfile.extractall drops them, so a bundled
binary would fail with "Permission denied" here and work on Lambda.

An arm64 bundle's extension modules cannot load into an x86_64 interpreter (nor the reverse); left
alone, the runtime would start and every request would be a 502 with an ImportError. The check
reads the ELF header of each shared object: its e_machine field names the CPU it was built for.
"""

from __future__ import annotations

import os
import platform
import shutil
import stat
import zipfile
from pathlib import Path

# ELF e_machine values (System V ABI): what a shared object was compiled for
_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}
LAMBDA_NAMES = {"x86_64": "x86_64", "aarch64": "arm64"}


def host_machine() -> str:
    """This machine's CPU as ELF names it: "x86_64" or "aarch64" (or what platform says)."""
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def _is_shared_object(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.endswith(".so") or ".so." in base


def native_machines(bundle: Path) -> dict[str, list[str]]:
    """{machine: [member names]} for the ELF shared objects in the zip at `bundle`."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            if info.is_dir() or not _is_shared_object(info.filename) or info.file_size < 20:
                continue
            with zf.open(info) as fh:
                header = fh.read(20)
            if header[:4] != b"\x7fELF":
                continue
            order = "little" if header[5] == 1 else "big"
            code = int.from_bytes(header[18:20], order)
            found.setdefault(_MACHINES.get(code, f"machine {code:#x}"), []).append(info.filename)
    return found


def foreign_code(bundle: Path, machine: str | None = None) -> tuple[str, list[str]] | None:
    """(their machine, member names) when the bundle's native code is for another CPU than
    `machine` (default: this one); None when it can run here (pure Python included)."""
    machine = machine or host_machine()
    found = native_machines(bundle)
    others = {m: names for m, names in found.items() if m != machine}
    if not others:
        return None
    theirs = max(others, key=lambda m: len(others[m]))
    return theirs, sorted(others[theirs])


def architecture_message(bundle: Path, theirs: str, names: list[str], stage_architecture: str | None) -> str:
    """Why this bundle cannot run on this machine, and what to do instead."""
    mine = host_machine()
    built = LAMBDA_NAMES.get(theirs, theirs)
    more = f" and {len(names) - 1} more" if len(names) > 1 else ""
    qemu = shutil.which(f"qemu-{theirs}-static") or shutil.which(f"qemu-{theirs}")
    lines = [
        f"{bundle.name} holds native code built for {built} ({theirs}): {names[0]}{more}; this "
        f"machine is {mine}, so the local runtime (this machine's Python) cannot load it, and "
        "every request would fail with an ImportError.",
        f"To run it locally, use a stage built for {LAMBDA_NAMES.get(mine, mine)}: add one to "
        f'lz_settings.json, e.g. "local": {{"extends": "<this stage>", "architecture": '
        f'"{LAMBDA_NAMES.get(mine, mine)}"}}, and run `lz serve local --bundle` (the same code '
        "and requirements, wheels for this machine); or serve it in-process without --bundle.",
    ]
    if qemu:
        lines.append(f"qemu-user is installed ({qemu}): running the bundle under it needs a "
                     f"{theirs} Python and binfmt_misc, which lz's local runtime does not set up; "
                     "the stage above is the reliable way.")
    if stage_architecture and stage_architecture != built:
        lines.append(f'(the stage says "architecture": "{stage_architecture}", but its wheels '
                     f"are {built}: rebuild with `lz package --refresh`?)")
    return "\n".join(lines)


def extract(bundle: Path, dest: Path) -> None:
    """Unzip `bundle` into `dest` keeping each member's Unix mode (exec bits), as Lambda does."""
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, dest))
            mode = stat.S_IMODE(info.external_attr >> 16)
            if info.create_system == 3 and mode and not info.is_dir():  # made on Unix, with a mode
                os.chmod(path, mode | stat.S_IRUSR)  # readable by the function, as Lambda needs
