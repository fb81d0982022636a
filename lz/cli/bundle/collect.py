"""The user's own files: the project directory minus junk and minus anything secret-looking.

Files under vendor/ go to the root of the bundle (vendor/docopt.py is imported as docopt), the
place for pure-Python copies of packages that publish no wheel, as in Chalice.

Nothing is dropped silently: every file or folder left out is recorded with its reason (junk,
secret by name, secret by content, excluded by setting, symlink, not a regular file), which
`lz package --explain` prints; secrets are named in every build's output. The `include` setting
ships a secret-looking or excluded file anyway when it really belongs in the bundle.

Symlinks: one that points inside the project is stored as its target's content (a linked folder is
walked once, and never into itself); one that points outside the project is refused, whatever
`include` says, because its target is not part of the project: `Collected.outside` lists them and
the build fails naming each link and its target.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import cache_root
from ..settings import FILENAME
from .secrets import secret_content, secret_dir, secret_name

JUNK_DIRS = {
    ".git", ".hg", ".svn", "__pycache__", "node_modules", "build", "dist", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".idea", ".vscode", "htmlcov",
    "tests", "test", ".lz", ".venv", "venv", ".eggs",
}
JUNK_FILES = ["*.pyc", "*.pyo", ".DS_Store", ".coverage", "*.egg-info", FILENAME, "*.zip",
              ".gitignore", ".dockerignore", ".lz-tmp-*"]

JUNK, SECRET_NAME, SECRET_CONTENT, EXCLUDED, SYMLINK, SPECIAL, CACHE, UNREADABLE = (
    "junk", "secret by name", "secret by content", "excluded by setting", "symlink",
    "not a regular file", "lz's cache", "unreadable")


@dataclass(frozen=True)
class LeftOut:
    """One file or folder (path ends in /) that is not in the bundle, and why."""

    path: str
    reason: str  # one of the constants above
    detail: str


@dataclass
class Collected:
    files: list[tuple[str, Path]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # left out as secret-looking
    excluded: int = 0
    left_out: list[LeftOut] = field(default_factory=list)
    outside: list[tuple[str, str]] = field(default_factory=list)  # (link, its target) leaving the project


def _matches(rel: str, name: str, patterns: list[str]) -> str | None:
    """The first pattern matching the project path or the bare name, or None."""
    return next((p for p in patterns if fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p)), None)


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


class _Walk:
    def __init__(self, root: Path, include: list[str], exclude: list[str]) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.include = include
        self.exclude = exclude
        self.cache = os.path.realpath(os.path.abspath(cache_root()))
        self.linked: dict[str, str] = {}  # real folder -> the link it was walked through
        self.out = Collected()

    def leave(self, rel: str, reason: str, detail: str) -> None:
        self.out.left_out.append(LeftOut(rel, reason, detail))
        if reason in (SECRET_NAME, SECRET_CONTENT):
            self.out.secrets.append(rel)
        elif reason in (JUNK, EXCLUDED):
            self.out.excluded += 1

    def _link_target(self, path: Path, rel: str, forced: bool) -> str | None:
        """The real target of a symlink inside the project, or None when it was refused (pointing
        outside: recorded in `outside`) or left out (broken, or into a secret folder)."""
        target = os.path.realpath(path)
        if not os.path.exists(target):
            self.leave(rel, SYMLINK, f"broken: points to {os.readlink(path)}")
            return None
        if not _inside(target, self.real_root):
            self.out.outside.append((rel, target))
            return None
        inner = os.path.relpath(target, self.real_root).replace(os.sep, "/")
        folders = inner.split("/") if os.path.isdir(target) else inner.split("/")[:-1]
        for part in folders if not forced else ():
            why = secret_dir(part, inner, False)
            if why:
                self.leave(rel + ("/" if os.path.isdir(target) else ""), SECRET_NAME,
                           f"a link to {inner}, inside {why}")
                return None
        return target

    def _hidden(self, rel: str, hidden_by: LeftOut) -> None:
        self.leave(rel, hidden_by.reason, f"in {hidden_by.path} ({hidden_by.detail})")

    def directory(self, path: Path, rel: str, name: str, chain: frozenset[str],
                  hidden_by: LeftOut | None) -> None:
        forced = _matches(rel, name, self.include) is not None
        reaches = any(p.startswith(rel + "/") for p in self.include)
        real = os.path.realpath(path)
        why: LeftOut | None = None
        if not forced:
            excluded = _matches(rel, name, self.exclude) or _matches(rel + "/", name, self.exclude)
            if (path / "pyvenv.cfg").exists():
                why = LeftOut(rel + "/", JUNK, "a virtualenv (pyvenv.cfg)")
            elif name in JUNK_DIRS or name.endswith(".egg-info"):
                why = LeftOut(rel + "/", JUNK, f"{name}/ is on the built-in junk list")
            elif real == self.cache:
                why = LeftOut(rel + "/", CACHE, "LZ_CACHE_DIR points here")
            elif secret := secret_dir(name, rel, (path / "__init__.py").is_file()):
                why = LeftOut(rel + "/", SECRET_NAME, secret)
            elif excluded:
                why = LeftOut(rel + "/", EXCLUDED, f'exclude "{excluded}"')
            elif hidden_by is not None:
                if not reaches:
                    self._hidden(rel + "/", hidden_by)
                    return
                why = hidden_by
        if why is not None and not reaches:
            self.leave(why.path, why.reason, why.detail)
            return
        if path.is_symlink():
            if self._link_target(path, rel, forced) is None:
                return
            if real in chain:
                self.leave(rel + "/", SYMLINK, f"loops back to {os.path.relpath(real, self.real_root)}/")
                return
            if real in self.linked:
                self.leave(rel + "/", SYMLINK, f"the same folder as {self.linked[real]}/, which is "
                           "walked once (ship one of the two links, or copy the folder)")
                return
            self.linked[real] = rel
        # inside a left-out folder that `include` reaches into, only included files ship
        self.walk(path, rel + "/", chain | {real}, None if forced else why)

    def file(self, entry: os.DirEntry, rel: str, hidden_by: LeftOut | None) -> None:
        name, path = entry.name, Path(entry.path)
        forced = _matches(rel, name, self.include) is not None
        if not forced:
            if hidden_by is not None:
                self._hidden(rel, hidden_by)
                return
            junk = _matches(rel, name, JUNK_FILES)
            if junk:
                self.leave(rel, JUNK, f'"{junk}" is on the built-in junk list')
                return
            excluded = _matches(rel, name, self.exclude)
            if excluded:
                self.leave(rel, EXCLUDED, f'exclude "{excluded}"')
                return
            secret = secret_name(name)
            if secret:
                self.leave(rel, SECRET_NAME, secret)
                return
        real = path
        if entry.is_symlink():
            target = self._link_target(path, rel, forced)
            if target is None:
                return
            real = Path(target)
            secret = None if forced else secret_name(real.name)
            if secret:
                inner = os.path.relpath(target, self.real_root)
                self.leave(rel, SECRET_NAME, f"a link to {inner}, which {secret}")
                return
        if not stat.S_ISREG(os.stat(real).st_mode):
            self.leave(rel, SPECIAL, "a FIFO, socket or device")
            return
        if not forced:
            secret = secret_content(real, name)
            if secret:
                self.leave(rel, SECRET_CONTENT, f"holds {secret}")
                return
        self.out.files.append((rel.removeprefix("vendor/"), path))

    def walk(self, here: Path, prefix: str, chain: frozenset[str], hidden_by: LeftOut | None) -> None:
        try:
            with os.scandir(here) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            self.leave(prefix or "./", UNREADABLE, exc.strerror or str(exc))
            return
        for entry in entries:
            rel = prefix + entry.name
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if is_dir:
                self.directory(Path(entry.path), rel, entry.name, chain, hidden_by)
            else:
                self.file(entry, rel, hidden_by)


def collect(root: Path, include: list[str], exclude: list[str]) -> Collected:
    """Walk `root`; `include` globs win over every exclusion (not over a link leaving the project),
    `exclude` globs add to the junk list."""
    walk = _Walk(Path(root), include, exclude)
    walk.walk(Path(root), "", frozenset({walk.real_root}), None)
    return walk.out


def describe_outside(outside: list[tuple[str, str]]) -> str:
    """The build error for symlinks that leave the project: each link, its target, the ways out."""
    lines = [f"{len(outside)} symlink{'s' if len(outside) > 1 else ''} in the project point"
             f"{'' if len(outside) > 1 else 's'} outside it, and lz never ships files from outside "
             "the project (not even with \"include\"):"]
    lines += [f"  {link} -> {target}" for link, target in outside]
    lines.append("copy the file or folder into the project in place of the link (e.g. "
                 "`cp --remove-destination TARGET LINK`, or `rm LINK && cp -r TARGET LINK`), or remove "
                 "the link, or leave it out with \"exclude\" in lz_settings.json")
    return "\n".join(lines)


def explain_lines(left_out: list[LeftOut]) -> list[str]:
    """`lz package --explain`: each file or folder left out, its reason and the rule behind it."""
    if not left_out:
        return ["nothing in the project was left out"]
    width = min(max(len(item.path) for item in left_out), 48)
    lines = [f"left out of the bundle ({len(left_out)}):"]
    for item in sorted(left_out, key=lambda item: item.path):
        lines.append(f"  {item.path:<{width}}  {item.reason}: {item.detail}")
    lines.append('ship one anyway with "include" in lz_settings.json (never a link leaving the project)')
    return lines
