"""The distribution names a requirements source asks for, read without installing anything.

Used as a sanity check after uv ran: if the requirements name packages and none of them was
installed where lz looks, the bundle would ship without its dependencies (which is what a relative
LZ_CACHE_DIR once did silently), so the build stops instead.
"""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def normalize(name: str) -> str:
    """PEP 503: lower case, runs of -, _ and . as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _from_spec(spec: str) -> str | None:
    """The name of one PEP 508 requirement or wheel path, None for what names no package
    certainly installed here (environment markers, editable paths, bare URLs)."""
    spec = spec.strip()
    if not spec or ";" in spec:
        return None
    if spec.endswith(".whl"):
        return normalize(Path(spec.split("#")[0]).name.split("-")[0])
    if spec.startswith((".", "/", "-")) or ("://" in spec and "@" not in spec.split("://")[0]):
        return None
    match = _NAME.match(spec)
    return normalize(match.group(1)) if match else None


def _from_text(path: Path, seen: set[Path]) -> set[str]:
    if path in seen or not path.is_file():
        return set()
    seen.add(path)
    names: set[str] = set()
    text = path.read_text(encoding="utf-8", errors="replace").replace("\\\n", " ")
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        include = re.match(r"^(?:-r|--requirement)[\s=]+(\S+)", line)
        if include:
            names |= _from_text((path.parent / include.group(1)).resolve(), seen)
            continue
        line = re.sub(r"\s--?\S+.*$", "", line)  # per-line options (--hash=...)
        name = _from_spec(line)
        if name:
            names.add(name)
    return names


def requirement_names(path: Path) -> set[str]:
    """Normalized names `path` (requirements text, or pyproject.toml's [project] dependencies)
    asks for unconditionally."""
    if path.name == "pyproject.toml":
        import tomllib

        try:
            project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
        except tomllib.TOMLDecodeError:
            return set()
        return {n for n in (_from_spec(d) for d in project.get("dependencies", [])) if n}
    return _from_text(path.resolve(), set())


def installed_names(site: Path) -> set[str]:
    """Normalized names of the distributions installed in `site` (from their .dist-info)."""
    return {normalize(entry.name[:-len(".dist-info")].rsplit("-", 1)[0])
            for entry in site.glob("*.dist-info")}


# lz itself: its runtime ships in every bundle, so a requirement on it is never wanted, and `lz` on
# the package index is an unrelated project ("Functional utilities") that would ship beside it.
SELF = {"lz", "lz-lambda"}


def _spec_name(line: str) -> str | None:
    line = re.sub(r"(^|\s)#.*$", "", line).strip()
    return _from_spec(re.sub(r"\s--?\S+.*$", "", line)) if line else None


def self_lines(path: Path) -> list[str]:
    """The lines (or pyproject dependencies) of `path` that name lz itself."""
    if path.name == "pyproject.toml":
        import tomllib

        try:
            project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
        except tomllib.TOMLDecodeError:
            return []
        return [d for d in project.get("dependencies", []) if _from_spec(d) in SELF]
    if path.name == "uv.lock" or not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if _spec_name(line) in SELF]


def without_self(path: Path, text: str | None = None) -> str:
    """Requirements text of `path` (or `text`, already exported from it) minus lines naming lz;
    relative -r/-c/-e paths are made absolute, since the copy lives elsewhere."""
    if text is None and path.name == "pyproject.toml":
        import tomllib

        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
        return "".join(f"{d}\n" for d in project.get("dependencies", []) if _from_spec(d) not in SELF)
    source = path.read_text(encoding="utf-8", errors="replace") if text is None else text
    out = []
    for line in source.splitlines():
        if _spec_name(line) in SELF:
            continue
        ref = re.match(r"^(\s*(?:-r|--requirement|-c|--constraint|-e|--editable)[\s=]+)(\.{1,2}/\S*|[^-/\s]\S*)(.*)$",
                       line)
        if ref and "://" not in ref.group(2) and not Path(ref.group(2)).is_absolute():
            line = f"{ref.group(1)}{(path.parent / ref.group(2)).resolve()}{ref.group(3)}"
        out.append(line)
    return "\n".join(out) + "\n"
