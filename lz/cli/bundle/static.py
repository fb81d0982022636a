"""Static files at build time: Django's collectstatic run for the target (or a folder of the
project, for other apps), kept in .lz/static/STAGE/, then shipped in the bundle under lz_static/
(served by lz/adapter/static.py) or uploaded to S3 by `lz deploy` ("static": {"bucket": ...}).

The `static` setting:
- true (the default): a Django app (DJANGO_SETTINGS_MODULE in the stage's environment, or set by
  the app's module) with django.contrib.staticfiles installed gets collectstatic at build time and
  its STATIC_URL served by the function; any other app: nothing, and nothing on the request path.
- false: nothing.
- {"bucket": "name" or null}: the same files, uploaded to an S3 bucket instead of shipped.
- {"dir": "public", "url": "/static/"}: a folder of the project served as is (Flask-style apps).

collectstatic runs as `lz manage` would run it: under the target's Python, with the bundle's own
dependencies (the cached deps.zip, unpacked once next to it) and the project, so what is collected
is what the function's Django would find; the project's own STATIC_ROOT is never written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...adapter.codec import LAMBDA_SYNC_LIMIT
from ..paths import project_file
from .errors import BuildError

FOLDER = "lz_static"  # lz.adapter.static.FOLDER: the folder's name in the bundle
# A file's bytes go back base64-encoded in Lambda's JSON result (4 characters per 3 bytes), with
# headers: the largest file the function can answer from the bundle.
LARGEST = (LAMBDA_SYNC_LIMIT - 16384) // 4 * 3
_SETDEFAULT = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["'](?P<module>[\w.]+)["']""")
_RUN = Path(__file__).with_name("collectstatic_run.py")


@dataclass
class Static:
    """What a build collected, and where it goes."""

    folder: Path  # the collected files: .lz/static/STAGE/ (or lz's cache)
    url: str  # the URL path the app links them under, e.g. "/static/"
    files: list[tuple[str, Path]] = field(default_factory=list)  # (name under the URL, path)
    source: str = "collectstatic"  # or "dir"
    bucket: bool = False  # uploaded to S3 by deploy, not shipped in the bundle
    hashed: int = 0  # names with a content hash (ManifestStaticFilesStorage)

    @property
    def manifest(self) -> Path | None:
        """Django's staticfiles.json (ManifestStaticFilesStorage), when collectstatic wrote one."""
        path = self.folder / "staticfiles.json"
        return path if self.source == "collectstatic" and path.is_file() else None

    def describe(self) -> str:
        where = "uploaded to S3 at deploy" if self.bucket else f"served by the function under {self.url}"
        hashed = f", {self.hashed} with hashed names" if self.hashed else ""
        return f"{len(self.files)} static files ({self.source}{hashed}) in {self.folder}, {where}"


def settings_module(stage: Any, files: dict[str, Path]) -> str | None:
    """The Django settings module of the stage's app: its environment's DJANGO_SETTINGS_MODULE, or
    the os.environ.setdefault in the app's module (wsgi.py/asgi.py); None: not a Django app."""
    named = stage.environment.get("DJANGO_SETTINGS_MODULE")
    if named:
        return named
    module = stage.app.partition(":")[0].replace(".", "/")
    for arc in (f"{module}.py", f"{module}/__init__.py"):
        path = files.get(arc)
        if path is not None:
            found = _SETDEFAULT.search(Path(path).read_text(errors="replace"))
            return found.group("module") if found else None
    return None


def folder_for(stage: Any) -> Path:
    """Where a stage's collected files live between build and deploy: the project's .lz/static/STAGE/
    (or lz's cache when the project cannot be written to)."""
    return project_file(stage.root, f".lz/static/{stage.name}", "static", stage.name)


def wanted(stage: Any, files: dict[str, Path]) -> str | None:
    """"django", "dir" or None: what the stage's `static` setting asks of this app."""
    setting = stage.static
    if setting is False:
        return None
    if isinstance(setting, dict) and setting.get("dir"):
        return "dir"
    if settings_module(stage, files):
        return "django"
    if isinstance(setting, dict):
        raise BuildError(
            f'"static": {json.dumps(setting)} needs Django\'s collectstatic, and the app {stage.app} '
            "is not a Django app (no DJANGO_SETTINGS_MODULE in the stage's environment or its module): "
            'name the folder to serve, e.g. "static": {"dir": "static", "url": "/static/"}')
    return None


def collect(stage: Any, files: dict[str, Path], python: str | None, deps_zip: Path | None) -> Static | None:
    """Collect the stage's static files into folder_for(stage) for the bundle or the bucket."""
    kind = wanted(stage, files)
    if kind is None:
        return None
    bucket = isinstance(stage.static, dict) and "bucket" in stage.static
    dest = folder_for(stage)
    if kind == "dir":
        return _from_dir(stage, dest, bucket)
    if python is None:
        raise BuildError(
            f"collectstatic runs Django at build time under Python {stage.python_version}, and none "
            f"was found: install one (`uv python install {stage.python_version}`), or set "
            '"static": false to ship no static files')
    from ..invoke import local_environment
    from . import static_memo

    environment, module = local_environment(stage), settings_module(stage, files) or ""
    given = static_memo.inputs(python, deps_zip, environment, module, files)
    memo = static_memo.lookup(dest, given)
    if memo is not None:  # nothing changed since the last run: its files (or none) stand
        found = Static(dest, memo["url"], _listing(dest), hashed=_hashed(dest)) if memo["installed"] else None
    else:
        static_memo.forget(dest)
        site = [str(unpacked(deps_zip))] if deps_zip else []
        result: dict[str, Any] = {}
        found = run_collectstatic(python, [str(stage.root), *site], environment, module, stage.root, dest,
                                  isolated=True, architecture=stage.architecture, result=result)
        if found is None:
            shutil.rmtree(dest, ignore_errors=True)  # nothing to ship or upload: no stale files either
        sources = [s for s in result.get("sources", ()) if not any(_under(s, p) for p in site)]
        static_memo.store(dest, given, sources, result)
    if found is None:
        return None
    return _checked(found, bucket)


def _under(path: str, folder: str) -> bool:
    return os.path.abspath(path).startswith(os.path.abspath(folder) + os.sep)


def run_collectstatic(python: str, paths: list[str], environment: dict[str, str], module: str,
                      root: Path, dest: Path, isolated: bool, architecture: str = "",
                      result: dict[str, Any] | None = None) -> Static | None:
    """Django's collectstatic under `python` with `paths` first on sys.path, into `dest` (replaced
    whole once it succeeded); None when staticfiles is not installed. `result` gets what the run
    reported (collectstatic_run.py)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".lz-static-", dir=dest.parent) as tmp:
        work = Path(tmp)
        spec = {"paths": paths, "environment": environment, "settings_module": module,
                "root": str(root), "dest": str(work / "out"), "result": str(work / "result.json")}
        (work / "spec.json").write_text(json.dumps(spec))
        flags = ["-I", "-S"] if isolated else []  # -S: no site-packages, as on Lambda
        done = subprocess.run([python, *flags, str(_RUN), str(work / "spec.json")], capture_output=True,
                              text=True, env={**os.environ, **environment})
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-25:])
            hint = ""
            if architecture and "ImportError" in tail and architecture != _machine():
                hint = (f"\n(the stage is built for {architecture}, this machine is {_machine()}: "
                        "native code of the requirements cannot load here; build on the same CPU)")
            raise BuildError(f"collectstatic failed while building (Django {module} under {python}):\n"
                             f"{tail}{hint}\nFix the settings, or set \"static\": false")
        reported = json.loads((work / "result.json").read_text())
        if result is not None:
            result.update(reported)
        if not reported.get("installed"):
            return None
        url = reported["url"]
        out = work / "out"
        out.mkdir(exist_ok=True)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(out, dest)
    return Static(dest, url, _listing(dest), "collectstatic", hashed=_hashed(dest))


def _machine() -> str:
    import platform

    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine())


def _from_dir(stage: Any, dest: Path, bucket: bool) -> Static:
    """"dir": a folder of the project, copied as it is (no symlinks, nothing outside it)."""
    name = stage.static["dir"]
    source = (stage.root / name).resolve()
    if not source.is_dir() or not source.is_relative_to(stage.root):
        raise BuildError(f'"static": "dir" names {name}, which is not a folder inside {stage.root}')
    url = stage.static.get("url") or "/static/"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, symlinks=True, ignore=lambda d, names: [
        n for n in names if os.path.islink(os.path.join(d, n))])
    return _checked(Static(dest, url, _listing(dest), f"the project's {name}/"), bucket)


def _checked(found: Static, bucket: bool) -> Static:
    found.bucket = bucket
    if not bucket:
        if not found.url.startswith("/") or found.url.startswith("//"):
            raise BuildError(
                f"STATIC_URL is {found.url}, a URL of another host: the function cannot serve it. Set "
                'STATIC_URL to a path (e.g. "static/"), or let lz upload the files to S3: "static": '
                '{"bucket": null} and STATIC_URL = os.environ.get("LZ_STATIC_URL", "static/")')
        big = [(name, path.stat().st_size) for name, path in found.files if path.stat().st_size > LARGEST]
        if big:
            listed = ", ".join(f"{name} ({size / 2**20:.1f} MiB)" for name, size in big[:5])
            raise BuildError(
                f"static files too large to answer from the function: {listed}. Lambda's responses are "
                f"at most 6 MB, base64 included ({LARGEST / 2**20:.1f} MiB of file). Serve the static "
                'files from S3 ("static": {"bucket": null}), or move these files out of the static folders')
    return found


def _listing(folder: Path) -> list[tuple[str, Path]]:
    return sorted((path.relative_to(folder).as_posix(), path) for path in folder.rglob("*")
                  if path.is_file() and not path.is_symlink())


def _hashed(folder: Path) -> int:
    try:
        return len(json.loads((folder / "staticfiles.json").read_text()).get("paths") or {})
    except (OSError, ValueError, AttributeError):
        return 0


def unpacked(deps_zip: Path) -> Path:
    """The cached dependencies unpacked once next to their zip (Django's finders read files from
    disk, not from a zip), keyed by the zip's size and time so that a refreshed zip is unpacked anew."""
    info = deps_zip.stat()
    dest = deps_zip.parent / f"site-{info.st_size}-{info.st_mtime_ns}"
    if dest.is_dir():
        return dest
    for old in deps_zip.parent.glob("site-*"):
        shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=".site-", dir=deps_zip.parent))
    with zipfile.ZipFile(deps_zip) as zf:
        zf.extractall(tmp)
    try:
        os.replace(tmp, dest)
    except OSError:  # another build unpacked it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def collect_in_process(stage: Any, dest: Path | None = None) -> Static | None:
    """For in-process `lz serve`: collectstatic with the Python lz runs in (where the app is
    imported), into the same folder a build uses; None when the stage has no static files."""
    files = {}
    module = stage.app.partition(":")[0].replace(".", "/")
    for arc in (f"{module}.py", f"{module}/__init__.py"):
        if (stage.root / arc).is_file():
            files[arc] = stage.root / arc
    kind = wanted(stage, files)
    if kind is None:
        return None
    dest = dest or folder_for(stage)
    if kind == "dir":
        return _from_dir(stage, dest, bucket=False)
    from ..invoke import local_environment

    paths = [str(stage.root)] + [p for p in sys.path if p]
    return run_collectstatic(sys.executable, paths, local_environment(stage),
                             settings_module(stage, files) or "", stage.root, dest, isolated=False)
