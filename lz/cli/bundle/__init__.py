"""`lz package`: the user's code, lz's runtime and Linux wheels for the target, in one small,
deterministic zip whose entry point is lz_handler.handler."""

from __future__ import annotations

import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ...runtime import wrapper
from ..paths import project_file
from ..registry import RegistryError, declarations, scan
from ..settings import Stage
from . import archive, deps
from .appcheck import missing_attribute
from .collect import Collected, LeftOut, collect, describe_outside
from .compile import CompileError, compile_sources, interpreter, target_python
from .deps import DependencyError
from .reqnames import self_lines
from .static import FOLDER as STATIC_FOLDER, Static, collect as collect_static
from .entry import HANDLER, MODULE, app_module_present, handler_source, runtime_files
from .errors import BuildError
from .files import locked, replacing, tell_stderr
from .pycache import BytecodeCache
from .target import Target
from .zipformat import TooLarge

ZIP_DIRECT_LIMIT = 50 * 1024 * 1024  # larger zips go through S3 at deploy
UNZIPPED_LIMIT = 250 * 1024 * 1024  # Lambda refuses larger functions (layers included)

__all__ = ["BuildError", "Bundle", "DependencyError", "LeftOut", "build", "stage_lock", "HANDLER"]


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
    left_out: list[LeftOut] = field(default_factory=list)  # every project file not shipped, and why
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds per step of this build
    bytecode: dict[str, int] = field(default_factory=dict)  # the app's .pyc: "compiled", "cached"
    static: Static | None = None  # the static files collected (shipped, or for deploy to upload)


def stage_lock(stage: Stage) -> Path:
    """The lock file of a stage's builds: in the project's .lz/, or in lz's cache when the project
    cannot be written to. Deploy may hold it too (files.locked) around its build and apply: the
    same thread takes it again for free."""
    return project_file(stage.root, f".lz/{stage.name}.lock", "locks", f"{stage.name}.lock")


def build(
    stage: Stage,
    output: Path | None = None,
    refresh: bool = False,
    step: Callable[[str], None] = lambda message: None,
    bytecode: bool = True,
    on_wait: Callable[[str], None] = tell_stderr,
    jobs: int | None = None,
) -> Bundle:
    """Build the stage's zip at `output` (default .lz/PROJECT-STAGE.zip).

    A second build of the same stage, in this process or another, waits for the first one
    (`on_wait` says so after a moment); the zip is replaced atomically, so whoever reads it sees a
    whole bundle. `jobs` (default LZ_BUILD_JOBS, else one per CPU) bounds the threads compressing
    and the processes compiling; it changes how fast, never a byte of the zip.
    """
    try:
        jobs = jobs or archive.jobs_default()
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    with locked(stage_lock(stage), f"stage {stage.name} of {stage.root} (another lz is building it)",
                on_wait):
        try:
            return _build(stage, output, refresh, step, bytecode, on_wait, jobs)
        except (CompileError, TooLarge) as exc:
            raise BuildError(str(exc)) from None


def _build(stage: Stage, output: Path | None, refresh: bool, step: Callable[[str], None],
           bytecode: bool, on_wait: Callable[[str], None], jobs: int) -> Bundle:
    started = time.perf_counter()
    target = Target(stage.python_version, stage.architecture)
    python = target_python(target.python_version) if bytecode else None
    notes = []
    if python is None and bytecode:
        notes.append(
            f"no Python {target.python_version} interpreter found (PATH, pyenv, uv python find): "
            "shipping sources only, so every cold start compiles them; install one "
            f"(e.g. `uv python install {target.python_version}`) for precompiled bytecode"
        )

    step("collecting your code")
    collected = collect(stage.root, stage.include, stage.exclude)
    if collected.outside:
        raise BuildError(describe_outside(collected.outside))
    user_names = {arc for arc, _ in collected.files}
    if not app_module_present(stage.app, user_names):
        raise BuildError(
            f'the app module of "app": "{stage.app}" is not among the project files under '
            f"{stage.root} (looked for {stage.app.partition(':')[0].replace('.', '/')}.py or its "
            "package __init__.py); check the setting, or an exclude that drops it"
        )
    missing = missing_attribute(stage.app, dict(collected.files),
                                python or target_python(target.python_version), target.python_version)
    if missing:
        raise BuildError(missing)

    phases = {"collect": time.perf_counter() - started}
    step(f"dependencies for {target.describe()}")
    clock = time.perf_counter()
    early = _compile_early(python, collected)
    try:
        dependencies = deps.prepare(stage.root, stage.requirements, target, stage.keep_boto3,
                                    stage.build_from_source, python, stage.dependency_sources,
                                    refresh, stage.keep_tests, on_wait, jobs)
    finally:
        if early is not None:
            early.join()
    phases["dependencies"] = time.perf_counter() - clock
    early_fresh = early.fresh if early is not None else 0
    if dependencies.requirements is not None:
        for line in self_lines(dependencies.requirements):
            notes.append(f"left out the requirement {line!r} of {dependencies.requirements.name}: lz's "
                         "runtime is in every bundle already (and `lz` on the package index is an "
                         "unrelated project); remove the line")
    phases.update({f"dependencies: {name}": seconds for name, seconds in dependencies.phases.items()})
    try:
        clock = time.perf_counter()
        static = collect_static(stage, dict(collected.files), python or target_python(target.python_version),
                                dependencies.zip_path)
        if static is not None:
            phases["static"] = time.perf_counter() - clock
            notes.append(static.describe())
        bundle = _write(stage, output, python, jobs, collected, dependencies, notes, step, phases, static,
                        early_fresh)
    finally:
        dependencies.finish()  # the install folder being deleted meanwhile
    phases["total"] = time.perf_counter() - started
    return bundle


def _sources(files: dict[str, Path]) -> list[tuple[str, Path]]:
    """The bundle's sources to byte-compile: every .py but the static files'."""
    return [(arc, path) for arc, path in files.items()
            if arc.endswith(".py") and not arc.startswith(STATIC_FOLDER + "/")]


class _Early(threading.Thread):
    """The early compile's thread; `fresh` counts the sources it compiled (0 if it failed)."""

    fresh = 0


def _compile_early(python: str | None, collected: Collected) -> _Early | None:
    """Compile the project's and lz's runtime sources into the bytecode cache on a thread while
    the dependencies are resolved (uv spends most of a cold build's first second waiting on the
    package index), so that writing the bundle finds them compiled. Only a head start: a failure
    here is left for the real compile to meet and report. The caller joins the thread before
    going on, so no worker outlives the build."""
    if python is None:
        return None
    files = dict(collected.files)
    files.update(runtime_files())

    def run() -> None:
        try:
            compiler = interpreter(python)
            done = compile_sources(_sources(files), compiler, lambda *_: None, cache=BytecodeCache(compiler))
            thread.fresh = done.fresh
        except Exception:  # noqa: BLE001 - the real compile reports it
            pass

    thread = _Early(target=run, name="lz-compile-early", daemon=True)
    thread.start()
    return thread


def _write(stage: Stage, output: Path | None, python: str | None, jobs: int, collected: Collected,
           dependencies: deps.Deps, notes: list[str], step: Callable[[str], None],
           phases: dict[str, float], static: Static | None = None, early_fresh: int = 0) -> Bundle:
    """The zip: the cached dependencies' entries as they are, then the project, lz's runtime and
    the generated entry, compiled (bytecode cache first) and compressed in parallel."""
    user_names = {arc for arc, _ in collected.files}
    removed = dependencies.tests_removed
    if removed:
        shown = ", ".join(removed[:4]) + (", ..." if len(removed) > 4 else "")
        notes.append(f"left out {len(removed)} test folders of dependencies ({shown}); "
                     '"keep_tests" ships a package\'s tests')
    try:
        with zipfile.ZipFile(dependencies.zip_path) as zf:
            dep_tops = {name.split("/")[0] for name in zf.namelist()}
    except zipfile.BadZipFile as exc:
        raise _damaged(dependencies, exc) from None
    clash = sorted({arc.split("/")[0] for arc in user_names} & dep_tops)
    if clash:
        raise BuildError(
            f"your project and its dependencies both provide {', '.join(clash)}: remove the copy "
            "from the project, or drop the dependency from the requirements"
        )

    try:
        registered = declarations(scan(collected.files), stage.events, collected.files)
    except RegistryError as exc:
        raise BuildError(str(exc)) from None
    from ..workflow import CompileError, compile_project

    try:  # a @workflow that cannot become a state machine fails the build, at file:line
        compile_project(collected.files)
    except CompileError as exc:
        raise BuildError(str(exc)) from None

    output = Path(output) if output else stage.root / ".lz" / f"{stage.project}-{stage.name}.zip"
    step("writing the bundle")
    clock = time.perf_counter()
    counts = {}
    with tempfile.TemporaryDirectory(prefix="lz-build-") as tmp, archive.Packer(jobs) as packer:
        entry = Path(tmp) / MODULE
        shipped = static is not None and not static.bucket
        manifest = static.manifest if static is not None and static.bucket else None
        entry.write_text(handler_source(stage.app, stage.adapter, registered,
                                        static.url if shipped else None,
                                        shipped and static.source == "collectstatic", manifest is not None))
        files = dict(collected.files)  # lz's runtime wins over a project file of the same name,
        files.update(runtime_files())  # and the generated entry over both
        files[MODULE] = entry
        if shipped:  # served by lz/adapter/static.py from lz_static/, never compiled
            files.update((f"{STATIC_FOLDER}/{name}", path) for name, path in static.files)
        elif manifest is not None:  # in S3: Django still needs its manifest to link hashed names
            files[f"{STATIC_FOLDER}/{manifest.name}"] = manifest
        packer.files(files.items())
        packer.data(*wrapper.bundle_entry())  # the exec wrapper, mode 0755, for AWS_LAMBDA_EXEC_WRAPPER
        if python is not None:
            compiler = interpreter(python)
            compiled = compile_sources(_sources(files), compiler, lambda _, pyc, data: packer.data(pyc, data),
                                       jobs=jobs, cache=BytecodeCache(compiler))
            early_fresh = min(early_fresh, compiled.cached)  # compiled by this build, only earlier
            counts = {"compiled": compiled.fresh + early_fresh, "cached": compiled.cached - early_fresh}
        with replacing(output) as partial:  # a name of this process's own, then one atomic move
            try:  # the cached entries, then the app's
                written = packer.write(partial, base=dependencies.zip_path)
            except ValueError as exc:
                raise _damaged(dependencies, exc) from None
            unzipped = sum(dependencies.packages.values()) + sum(written.values())  # no zip read again
            if unzipped > UNZIPPED_LIMIT:
                raise BuildError(
                    f"the bundle would unzip to {unzipped / 2**20:.1f} MiB, over Lambda's 250 MiB "
                    "limit; biggest packages: " + ", ".join(
                        f"{n} {s / 2**20:.1f} MiB" for n, s in sorted(
                            dependencies.packages.items(), key=lambda kv: -kv[1])[:5])
                    + ". Drop what the function does not import, or use a container image."
                )

    phases["bundle"] = time.perf_counter() - clock
    zipped = output.stat().st_size
    if zipped > ZIP_DIRECT_LIMIT:
        notes.append(
            f"{zipped / 2**20:.1f} MiB zipped is over the 50 MiB direct-upload limit: "
            "lz deploy will upload it through the project's S3 bucket"
        )
    return Bundle(output, Target(stage.python_version, stage.architecture), HANDLER, zipped, unzipped,
                  dependencies.packages, collected.secrets, python, dependencies.cached, notes,
                  collected.left_out, phases, counts, static)


def _damaged(dependencies: deps.Deps, exc: Exception) -> BuildError:
    return BuildError(f"the cached dependencies in {dependencies.zip_path.parent} are damaged ({exc}): "
                      "run again with --refresh to build them anew")
