"""`lz init`: find the app in a project and write a valid lz_settings.json for it.

The app is found by reading the code, never by importing it (importing runs the user's code and
needs its dependencies installed): a module-level `name = Flask(...)` / `FastAPI(...)` / ... is an
app; a Django project is found through manage.py's DJANGO_SETTINGS_MODULE and its wsgi.py.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .bundle.collect import JUNK_DIRS
from .settings import FILENAME, SettingsError, load

FRAMEWORKS = ("Flask", "FastAPI", "Starlette", "Quart", "Litestar", "Sanic", "Bottle", "Falcon", "App")
_ASSIGN = re.compile(
    r"^(?P<var>[A-Za-z_]\w*)\s*(?::[^=]+)?=\s*(?:\w+\.)*(?P<cls>" + "|".join(FRAMEWORKS) + r")\(",
    re.MULTILINE,
)
_DJANGO = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["'](?P<module>[\w.]+)["']""")


@dataclass
class Found:
    framework: str
    app: str  # module:attr
    path: str


def _module(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def detect(root: Path) -> list[Found]:
    """Candidate apps, the likeliest first (Django, then shallow app.py/main.py/wsgi.py files)."""
    found: list[Found] = []
    manage = root / "manage.py"
    if manage.is_file():
        match = _DJANGO.search(manage.read_text(errors="replace"))
        if match:
            package = match.group("module").rsplit(".", 1)[0]
            for kind, attr in (("wsgi", "application"), ("asgi", "application")):
                if (root / package.replace(".", "/") / f"{kind}.py").is_file():
                    found.append(Found("Django", f"{package}.{kind}:{attr}", f"{package}/{kind}.py"))
                    break
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in JUNK_DIRS and not d.startswith(".")
                             and not (Path(dirpath, d) / "pyvenv.cfg").exists())
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = Path(dirpath, name)
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            for match in _ASSIGN.finditer(text):
                rel = path.relative_to(root)
                cls = match.group("cls")
                found.append(Found("Litestar" if cls == "App" else cls,
                                   f"{_module(rel)}:{match.group('var')}", rel.as_posix()))
    preferred = ("app.py", "main.py", "wsgi.py", "asgi.py", "api.py", "server.py")
    found.sort(key=lambda f: (f.framework != "Django", f.path.count("/"),
                              Path(f.path).name not in preferred, f.path))
    return [f for f in found if f.framework != "App" or "litestar" in f.path.lower()]


def write(root: Path, stage: str, app: str, runtime: str, architecture: str, region: str | None,
          force: bool) -> Path:
    path = root / FILENAME
    data: dict = {}
    if path.exists():
        data = json.loads(path.read_text())
        if stage in data and not force:
            raise SettingsError(f'{FILENAME} already has a stage "{stage}": pass --force to replace it')
    settings = {"app": app, "runtime": runtime, "architecture": architecture}
    if region:
        settings["region"] = region
    data[stage] = settings
    path.write_text(json.dumps(data, indent=2) + "\n")
    load(root, stage)  # what was written must load: fail loudly here, not at deploy
    ignore_build_output(root)
    return path


def ignore_build_output(root: Path) -> bool:
    """Add `.lz/` (built zips, lock files) to the project's .gitignore, creating it if needed, so
    bundles are never committed; True when the file was changed."""
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    entries = {line.strip().rstrip("/").lstrip("/") for line in text.splitlines()}
    if ".lz" in entries or ".lz/*" in entries or ".lz/**" in entries:
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    path.write_text(f"{text}{separator}# lz: built bundles and lock files\n.lz/\n", encoding="utf-8")
    return True
