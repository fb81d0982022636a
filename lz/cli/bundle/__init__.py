"""`lz package`: the user's code, lz's runtime and Linux wheels for the target, in one small,
deterministic zip whose entry point is lz_handler.handler."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..settings import Stage
from . import archive, deps
from .collect import collect
from .compile import compile_tree, target_python
from .deps import DependencyError
from .entry import HANDLER, MODULE, app_module_present, handler_source, runtime_files
from .target import Target

ZIP_DIRECT_LIMIT = 50 * 1024 * 1024  # larger zips go through S3 at deploy
UNZIPPED_LIMIT = 250 * 1024 * 1024  # Lambda refuses larger functions (layers included)

__all__ = ["BuildError", "Bundle", "DependencyError", "build", "HANDLER"]


class BuildError(Exception):
    """The bundle cannot be built as configured; the message says why and what to do."""


@dataclass
class Bundle:
    path: Path
    target: Target
    handler: str
    zipped: int
    unzipped: int
    packages: dict[str, int]
    secrets_left_out: list[str]
    compiled_with: str | None
    deps_cached: bool
    notes: list[str] = field(default_factory=list)


def build(
    stage: Stage,
    output: Path | None = None,
    refresh: bool = False,
    step: Callable[[str], None] = lambda message: None,
    bytecode: bool = True,
) -> Bundle:
    target = Target(stage.python_version, stage.architecture)
    python = target_python(target.python_version) if bytecode else None
    notes = []
    if python is None and bytecode:
        notes.append(
            f"no Python {target.python_version} interpreter found (PATH, pyenv, uv python find): "
            "shipping sources only, so every cold start compiles them; install one "
            f"(e.g. `uv python install {target.python_version}`) for precompiled bytecode"
        )

    step(f"dependencies for {target.describe()}")
    dependencies = deps.prepare(stage.root, stage.requirements, target, stage.keep_boto3,
                                stage.build_from_source, python, stage.dependency_sources,
                                refresh)

    step("collecting your code")
    collected = collect(stage.root, stage.include, stage.exclude)
    user_names = {arc for arc, _ in collected.files}
    if not app_module_present(stage.app, user_names):
        raise BuildError(
            f'the app module of "app": "{stage.app}" is not among the project files under '
            f"{stage.root} (looked for {stage.app.partition(':')[0].replace('.', '/')}.py or its "
            "package __init__.py); check the setting, or an exclude that drops it"
        )
    with zipfile.ZipFile(dependencies.zip_path) as zf:
        dep_tops = {name.split("/")[0] for name in zf.namelist()}
    clash = sorted({arc.split("/")[0] for arc in user_names} & dep_tops)
    if clash:
        raise BuildError(
            f"your project and its dependencies both provide {', '.join(clash)}: remove the copy "
            "from the project, or drop the dependency from the requirements"
        )

    output = Path(output) if output else stage.root / ".lz" / f"{stage.project}-{stage.name}.zip"
    output.parent.mkdir(parents=True, exist_ok=True)
    step("writing the bundle")
    with tempfile.TemporaryDirectory(prefix="lz-build-") as tmp:
        staging = Path(tmp) / "task"
        for arcname, path in collected.files + runtime_files():
            dest = staging / arcname
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            shutil.copymode(path, dest)
        (staging / MODULE).write_text(handler_source(stage.app, stage.adapter))
        if python is not None:
            compile_tree(staging, python)
        partial = output.with_suffix(".zip.partial")
        shutil.copyfile(dependencies.zip_path, partial)
        archive.write(partial, archive.tree(staging), append=True)
        partial.replace(output)

    with zipfile.ZipFile(output) as zf:
        unzipped = sum(info.file_size for info in zf.infolist())
    zipped = output.stat().st_size
    if unzipped > UNZIPPED_LIMIT:
        output.unlink()
        raise BuildError(
            f"the bundle would unzip to {unzipped / 2**20:.1f} MiB, over Lambda's 250 MiB limit; "
            "biggest packages: " + ", ".join(
                f"{n} {s / 2**20:.1f} MiB" for n, s in sorted(
                    dependencies.packages.items(), key=lambda kv: -kv[1])[:5])
            + ". Drop what the function does not import, or use a container image."
        )
    if zipped > ZIP_DIRECT_LIMIT:
        notes.append(
            f"{zipped / 2**20:.1f} MiB zipped is over the 50 MiB direct-upload limit: "
            "lz deploy will upload it through the project's S3 bucket"
        )
    return Bundle(output, target, HANDLER, zipped, unzipped, dependencies.packages,
                  collected.secrets, python, dependencies.cached, notes)
