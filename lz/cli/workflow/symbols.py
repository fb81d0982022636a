"""What a name in a workflow's module refers to, found by reading the project's code (never running
it): a @task (with its retries and timeout), a module-level literal constant, an exception class,
one of lz's own names (parallel, wait, WorkflowError, TaskError, ...), or something else.

Imports are followed through the project's own modules (`from .tasks import resize`, a package's
__init__ re-exporting a task), so a task is known by the name it is registered under, which is the
name the bundle declares and the step route accepts.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..pysource import parsed
from ..registry import _decorator_name, _module_name, scan
from .errors import CompileError

LZ_NAMES = {"parallel", "wait", "WorkflowError", "TaskError", "StepFailed", "TaskTimeout", "task",
            "workflow"}


@dataclass(frozen=True)
class TaskInfo:
    name: str  # module.qualname, as registered
    retries: int = 0
    timeout: float | None = None
    args: ast.arguments | None = None  # its parameters, for calls checked at compile time
    origin: str = ""


@dataclass(frozen=True)
class Symbol:
    """kind: task | workflow | const | class | lz | module | function | builtin | external."""

    kind: str
    name: str  # qualified name (task, workflow), class name, lz name, or the dotted source
    value: Any = None  # const: its value; task: TaskInfo


@dataclass(frozen=True)
class WorkflowSource:
    function: str  # module.qualname
    module: str
    rel: str
    node: ast.FunctionDef
    max_concurrency: int | None

    @property
    def short(self) -> str:
        return self.node.name

    @property
    def origin(self) -> str:
        return f"{self.rel}:{self.node.lineno}"


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


class Project:
    """The project's Python files, parsed on demand, with name resolution across its modules."""

    def __init__(self, files: list[tuple[str, Path]]) -> None:
        self.paths = {_module_name(rel): (rel, path) for rel, path in files if rel.endswith(".py")}
        self._trees: dict[str, ast.Module | None] = {}
        self.registry = scan(files)
        self.task_names = {t.function for t in self.registry.tasks}

    def tree(self, module: str) -> ast.Module | None:
        if module not in self._trees:
            found = self.paths.get(module)
            self._trees[module] = parsed(*found) if found is not None else None
        return self._trees[module]

    def rel(self, module: str) -> str:
        return self.paths[module][0]

    def workflows(self) -> list[WorkflowSource]:
        """Every @workflow of the project (module-level functions only: anything else is an error
        that names the place)."""
        found = []
        for decl in self.registry.workflows:
            module, qualname = self.registry.places[decl.function]
            rel = self.rel(module)
            if "." in qualname:
                raise CompileError(f"{decl.origin}: @workflow on {qualname}: a workflow must be a "
                                   "module-level function (not a method)")
            tree = self.tree(module)
            node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and n.name == qualname)
            if isinstance(node, ast.AsyncFunctionDef):
                raise CompileError(f"{rel}:{node.lineno}: async def {node.name}: a workflow is a plain "
                                   "`def` (its tasks may do async work inside)")
            if decl.max_concurrency is not None and (type(decl.max_concurrency) is not int
                                                     or decl.max_concurrency < 0):
                raise CompileError(f"{decl.origin}: @workflow(max_concurrency="
                                   f"{decl.max_concurrency!r}): give a whole number >= 0")
            found.append(WorkflowSource(decl.function, module, rel, node, decl.max_concurrency))
        return found

    def _package(self, module: str) -> str:
        rel = self.paths.get(module, ("",))[0]
        return module if rel.endswith("__init__.py") else module.rpartition(".")[0]

    def _absolute(self, module: str, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = self._package(module).split(".") if self._package(module) else []
        if node.level - 1:
            parts = parts[: len(parts) - (node.level - 1)]
        return ".".join(p for p in [*parts, node.module or ""] if p)

    def symbol(self, module: str, name: str, depth: int = 0) -> Symbol | None:
        """What `name` means at the top level of `module`, or None if it is not defined there."""
        tree = self.tree(module)
        if tree is None or depth > 20:
            return None
        found: Symbol | None = None
        assignments = 0
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                found = self._function(module, node)
            elif isinstance(node, ast.ClassDef) and node.name == name:
                found = Symbol("class", name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    assignments += 1
                    ok, value = _literal(node.value) if node.value is not None else (False, None)
                    found = Symbol("const", name, value) if ok and assignments == 1 else Symbol("function", name)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        found = self._imported(self._absolute(module, node), alias.name, depth)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    if bound == name:
                        found = Symbol("module", alias.name if alias.asname else bound)
        return found

    def _imported(self, source: str, name: str, depth: int) -> Symbol:
        if source == "lz" or source.startswith("lz."):
            return Symbol("lz", name) if name in LZ_NAMES else Symbol("external", f"{source}.{name}")
        if source in self.paths:
            inner = self.symbol(source, name, depth + 1)
            if inner is not None:
                return inner
        if f"{source}.{name}" in self.paths:
            return Symbol("module", f"{source}.{name}")
        return Symbol("external", f"{source}.{name}")

    def _function(self, module: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Symbol:
        qualified = f"{module}.{node.name}"
        for decorator in node.decorator_list:
            kind = _decorator_name(decorator)
            if kind == "task" and qualified in self.task_names:
                return Symbol("task", qualified, self._task(module, node, decorator))
            if kind == "workflow":
                return Symbol("workflow", qualified)
        return Symbol("function", qualified)

    def _task(self, module: str, node: ast.FunctionDef | ast.AsyncFunctionDef,
              decorator: ast.expr) -> TaskInfo:
        options: dict[str, Any] = {}
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                ok, value = _literal(keyword.value)
                if keyword.arg and ok:
                    options[keyword.arg] = value
        origin = f"{self.rel(module)}:{node.lineno}"
        retries, timeout = options.get("retries", 0), options.get("timeout")
        if type(retries) is not int or retries < 0:
            raise CompileError(f"{origin}: @task(retries={retries!r}): give a whole number >= 0")
        if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool)
                                    or timeout <= 0):
            raise CompileError(f"{origin}: @task(timeout={timeout!r}): give a number of seconds > 0")
        return TaskInfo(f"{module}.{node.name}", retries, timeout, node.args, origin)
