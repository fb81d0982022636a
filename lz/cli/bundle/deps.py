"""The app's dependencies as Linux wheels for the target, resolved by uv, cached, and zipped once.

The cache key is everything that decides what gets installed: the requirement files' contents, the
target, the boto3 and build-from-source choices, and the interpreter that compiled the bytecode.
A warm rebuild copies the cached deps.zip and appends the app's own files; nothing is resolved,
downloaded, compiled or compressed again. The dependencies' own test folders are left out
(striptests).

Building an entry is one pass over the installed files: the workers compile the sources (those
compiled before come from the bytecode cache, one entry per top-level package, so new
requirements recompile only the wheels that changed) while threads compress everything else,
then each .pyc as it arrives (archive, compile). The dependencies' test folders are not entered:
striptests chooses which can go while the workers compile everything outside them, and the ones
kept follow. The install folder goes as a whole afterwards, on a thread.

The cache (LZ_CACHE_DIR, default ~/.cache/lz) is shared by every build on the machine: each entry
is resolved under a lock by one process at a time and its files are replaced atomically (files).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..paths import cache_root, uv_path
from . import archive
from .files import locked, tell_stderr, write_atomic
from .reqnames import installed_names, requirement_names, self_lines, without_self
from .sitezip import zip_site
from .striptests import test_folders
from .target import Target

FORMAT = "5"  # bump when the layout of cached deps changes (4: lz's own zip writer, levels per kind; 5: .so at 3)
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")  # the Lambda Python runtime ships these


class DependencyError(Exception):
    """Dependencies that cannot be installed for the target; the message lists them and the ways out."""


@dataclass
class Deps:
    zip_path: Path
    packages: dict[str, int]  # top-level name -> unzipped bytes
    requirements: Path | None
    cached: bool
    compiled: bool
    tests_removed: list[str] = field(default_factory=list)  # dependencies' test folders left out
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step, when built now
    cleanup: threading.Thread | None = None  # deleting the install folder, when built now

    def finish(self) -> None:
        """Wait until the install folder is gone."""
        if self.cleanup is not None:
            self.cleanup.join()


def find_requirements(root: Path, setting: str | None) -> Path | None:
    """The requirements source: the `requirements` setting, else requirements.txt, uv.lock,
    pyproject.toml in the project root; None when the project has no dependencies file."""
    if setting:
        path = (root / setting).resolve()
        if not path.is_file():
            raise DependencyError(f'"requirements" names {setting}, which is not a file in {root}')
        return path
    for name in ("requirements.txt", "uv.lock", "pyproject.toml"):
        if (root / name).is_file():
            return root / name
    return None


def uv() -> str:
    """The uv binary, or a DependencyError saying how to get it."""
    found = uv_path()
    if found is None:
        raise DependencyError("uv is not installed: pip install uv (lz resolves wheels with it)")
    return found


def _requirement_args(path: Path, work: Path) -> list[str]:
    if path.name == "uv.lock":
        out = subprocess.run(
            [uv(), "export", "--format", "requirements-txt", "--frozen", "--no-hashes",
             "--no-emit-project", "--directory", str(path.parent)],
            capture_output=True, text=True,
        )
        if out.returncode != 0:
            raise DependencyError(f"could not read {path}: {out.stderr.strip()}")
        exported = work / "requirements.txt"
        exported.write_text(without_self(path, out.stdout))
        return ["-r", str(exported)]
    if self_lines(path):  # a requirement on lz itself: its runtime is in the bundle already
        filtered = work / "requirements.txt"
        filtered.write_text(without_self(path))
        return ["-r", str(filtered)]
    return ["-r", str(path)]


def _key(req: Path | None, target: Target, keep_boto3: bool, build: list[str], python: str | None,
         sources: bool, keep_tests: list[str]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([FORMAT, target.python_version, target.architecture, keep_boto3,
                         sorted(build), python or "no-bytecode", sources, keep_tests,
                         archive.DEFLATER]).encode())
    if req is not None:
        h.update(req.name.encode())
        h.update(req.read_bytes())
    return h.hexdigest()[:24]


_NO_WHEEL = re.compile(
    r"(?:all versions of |only |Because )(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*?)"
    r"(?:[=<>!~][^\s]*)? (?:has|have) no (?:usable wheels|wheels with a matching)"
)


def _no_wheel_names(stderr: str) -> list[str]:
    return sorted({m.group("name") for m in _NO_WHEEL.finditer(stderr)})


def _all_without_wheels(cmd: list[str], first: list[str], cwd: Path) -> list[str]:
    """Every package lacking a wheel, not just the first one uv stops at: resolve again (dry run)
    with each one found so far allowed to build, until no new name comes up."""
    found = list(first)
    for _ in range(10):
        retry = cmd + ["--dry-run"] + [arg for name in found for arg in ("--no-binary", name)]
        out = subprocess.run(retry, capture_output=True, text=True, cwd=cwd)
        more = [name for name in _no_wheel_names(out.stderr) if name not in found]
        if out.returncode == 0 or not more:
            break
        found += more
    return sorted(found)


def _explain_failure(stderr: str, target: Target, names: list[str] | None = None) -> str:
    names = names or _no_wheel_names(stderr)
    if not names:
        return f"uv could not install the dependencies for {target.describe()}:\n{stderr.strip()}"
    tags = ", ".join(target.platform_tags()[:3] + ["…", f"manylinux2014_{target.machine}", "any"])
    lines = [f"no wheel for {target.describe()} for: {', '.join(names)}",
             f"  checked against: {target.abi} / abi3 / none with {tags}"]
    lines += [
        "  ways out:",
        "    - pin a version that publishes a manylinux wheel for this Python and architecture",
        "    - put a pure-Python copy of it in vendor/ of your project and drop it from requirements",
        f'    - or allow building it here: "build_from_source": {json.dumps(names)} in lz_settings.json '
        "(the build runs on this machine, not on Amazon Linux: compiled code may not load on Lambda)",
        "",
        "uv said:",
        stderr.strip(),
    ]
    return "\n".join(lines)


def _strip_runtime_provided(site: Path) -> None:
    for entry in list(site.iterdir()):
        name = entry.name.lower()
        top = name.split("-")[0] if name.endswith((".dist-info", ".data")) else name
        if top in RUNTIME_PROVIDED:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def _package_sizes(entries: dict[str, int]) -> dict[str, int]:
    """Unzipped bytes per top-level name (a distribution's metadata counts towards its name)."""
    sizes: dict[str, int] = {}
    for arcname, size in entries.items():
        name = arcname.split("/", 1)[0]
        if name.endswith(".dist-info"):
            name = name.split("-")[0]
        elif "/" not in arcname and name.endswith((".py", ".pyc")):
            name = name.rsplit(".", 1)[0]
        sizes[name] = sizes.get(name, 0) + size
    return sizes


def _cache_entry(key: str) -> Path:
    """The cache folder of one dependency set, as an absolute path: uv runs in the project, so a
    relative LZ_CACHE_DIR would install there (and the bundle would ship without dependencies)."""
    return Path(os.path.abspath(cache_root())) / "deps" / key


def _missing(named: set[str], installed: set[str], keep_boto3: bool) -> list[str] | None:
    """The requirement names when none of them is installed (None when the set looks right)."""
    expected = named - {"lz"} - (set() if keep_boto3 else set(RUNTIME_PROVIDED))
    if expected and not expected & installed:
        return sorted(expected)
    return None


def _manifest(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and {"packages", "distributions", "named"} <= set(data) else None


def prepare(
    root: Path,
    setting: str | None,
    target: Target,
    keep_boto3: bool,
    build_from_source: list[str],
    python: str | None,
    keep_sources: bool = False,
    refresh: bool = False,
    keep_tests: list[str] | None = None,
    on_wait: Callable[[str], None] = tell_stderr,
    jobs: int = 1,
) -> Deps:
    """The cached deps.zip for these inputs, building it first when it is not in the cache.

    With an interpreter of the target version, dependencies ship as bytecode only unless
    `keep_sources` (the `dependency_sources` setting) asks for their .py files too. Their test
    folders are left out except for the packages `keep_tests` names (see striptests).

    One process resolves a given dependency set at a time (a lock per cache entry; the others
    wait and then find it cached), and deps.zip and its manifest are each replaced atomically,
    so a concurrent build never reads half a file.
    """
    keep_tests = sorted(keep_tests or [])
    req = find_requirements(root, setting)
    key = _key(req, target, keep_boto3, build_from_source, python, keep_sources, keep_tests)
    entry = _cache_entry(key)
    zip_path = entry / "deps.zip"
    manifest_path = entry / "manifest.json"
    entry.mkdir(parents=True, exist_ok=True)
    with locked(entry / "lock", f"the dependencies being resolved for {target.describe()}", on_wait):
        manifest = _manifest(manifest_path)
        if (manifest is not None and zip_path.is_file() and not refresh
                and _missing(set(manifest["named"]), set(manifest["distributions"]), keep_boto3) is None):
            return Deps(zip_path, manifest["packages"], req, True, python is not None,
                        manifest.get("tests_removed", []))
        phases: dict[str, float] = {}
        packages, stripped, cleanup = _install(root, req, target, keep_boto3, build_from_source, python,
                                               keep_sources, keep_tests, entry, zip_path, manifest_path,
                                               jobs, phases)
    return Deps(zip_path, packages, req, False, python is not None, stripped, phases, cleanup)


def _install(root: Path, req: Path | None, target: Target, keep_boto3: bool, build_from_source: list[str],
             python: str | None, keep_sources: bool, keep_tests: list[str], entry: Path, zip_path: Path,
             manifest_path: Path, jobs: int, phases: dict[str, float]
             ) -> tuple[dict[str, int], list[str], threading.Thread]:
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = now - clock
        clock = now

    work = Path(tempfile.mkdtemp(prefix="lz-deps-", dir=entry))
    try:
        site = work / "site"
        site.mkdir()
        named: set[str] = set()
        said = ""
        if req is not None:
            cmd = [uv(), "pip", "install", "--quiet", "--target", str(site),
                   "--python-platform", target.uv_platform,
                   "--python-version", target.python_version,
                   "--only-binary", ":all:", "--no-compile"]
            for name in build_from_source:
                cmd += ["--no-binary", name]
            args = _requirement_args(req, work)
            named = requirement_names(Path(args[1]))
            cmd += args
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
            said = out.stderr.strip()
            if out.returncode != 0:
                names = _no_wheel_names(out.stderr)
                if names:
                    names = _all_without_wheels([c for c in cmd if c != "--quiet"], names, root)
                raise DependencyError(_explain_failure(out.stderr, target, names))
        installed = installed_names(site)
        missing = _missing(named, installed, keep_boto3)
        if missing:
            raise DependencyError(
                f"{req.name if req else 'the requirements'} names {', '.join(missing)}, but none of them "
                f"was installed where lz looked ({site}): the bundle would ship without its dependencies. "
                "Check that LZ_CACHE_DIR is a writable folder outside the project, then run again "
                "with --refresh; uv said:\n" + (said or "(nothing)"))
        phase("install")
        shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: never run on Lambda
        (site / ".lock").unlink(missing_ok=True)  # uv's lock file for --target installs
        if not keep_boto3:
            _strip_runtime_provided(site)
        candidates = {} if "*" in keep_tests else test_folders(site, keep_tests)  # reads RECORD files
        for record in site.glob("*.dist-info/RECORD"):
            record.unlink()  # lists the sources and hashes of files no longer shipped as such
        phase("strip")
        sizes, stripped = zip_site(site, python, keep_sources, jobs, zip_path, candidates)
        packages = _package_sizes(sizes)
        phase("compile+zip")
        write_atomic(manifest_path, json.dumps({
            "packages": packages, "requirements": str(req), "named": sorted(named),
            "distributions": sorted(installed), "tests_removed": stripped}))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return packages, stripped, _remove_later(work)


def _remove_later(folder: Path) -> threading.Thread:
    """Delete the install folder (thousands of files: a few tenths of a second) on a thread of its
    own while the build goes on; the build waits for it (Deps.finish) before it returns."""
    thread = threading.Thread(target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True},
                              name="lz-deps-cleanup", daemon=True)
    thread.start()
    return thread
