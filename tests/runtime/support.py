"""Bundles for the runtime loop's tests: lz's runtime files, the exec wrapper (executable, as
`lz package` writes it) and the test's own modules, zipped the way Lambda receives them."""

from __future__ import annotations

import shutil
import stat
import subprocess
import tempfile
import zipfile
from pathlib import Path

from lz.runtime import wrapper

ROOT = Path(__file__).resolve().parents[2]
LZ_LOOP = {"AWS_LAMBDA_EXEC_WRAPPER": wrapper.PATH}  # the environment `lz deploy` gives a stage


def _runtime_files() -> list[tuple[str, Path]]:
    files = [("lz/__init__.py", ROOT / "lz" / "__init__.py")]
    for package in ("adapter", "tasks", "runtime"):
        for path in sorted((ROOT / "lz" / package).rglob("*.py")):
            files.append((path.relative_to(ROOT).as_posix(), path))
    return files


def _put(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o100644) -> None:
    info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
    info.external_attr = mode << 16
    info.create_system = 3
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def runtime_zip(path: Path, files: dict[str, str], python: str | None = None) -> Path:
    """A bundle of lz's runtime, the wrapper and `files` (name -> source); with `python`, also the
    bytecode that interpreter compiles of them (unchecked hashes, as `lz package` ships it)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, source in _runtime_files():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, root / name)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        if python is not None:
            subprocess.run([python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
                            str(root)], check=True)
        with zipfile.ZipFile(path, "w") as zf:
            for file in sorted(root.rglob("*")):
                if file.is_file():
                    _put(zf, file.relative_to(root).as_posix(), file.read_bytes())
            name, data, mode = wrapper.bundle_entry()
            _put(zf, name, data, mode)
    return path


def with_loop(bundle: Path, out: Path) -> Path:
    """`bundle` (built by `lz package`) with lz's loop and wrapper in it, if the bundler does not
    add them yet; entries already there are kept."""
    shutil.copyfile(bundle, out)
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
    with zipfile.ZipFile(out, "a") as zf:
        for name, source in _runtime_files():
            if name.startswith("lz/runtime/") and name not in names:
                _put(zf, name, source.read_bytes())
        name, data, mode = wrapper.bundle_entry()
        if name not in names:
            _put(zf, name, data, mode)
    return out


def is_executable(bundle: Path, name: str) -> bool:
    with zipfile.ZipFile(bundle) as zf:
        return bool((zf.getinfo(name).external_attr >> 16) & stat.S_IXUSR)
