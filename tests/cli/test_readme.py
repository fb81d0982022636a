"""README's command blocks, run as a user would run them (issue 15, item 17).

Every ```sh block of README.md runs here, line by line, in a fresh copy of the example projects:
what README shows must work as written. A block may be preceded by an HTML comment that README
readers do not see, saying how to run it:

    <!-- readme-test: project=example_flask aws before="lz deploy dev" fails="--raw" -->

- `project=DIR`: start in a copy of DIR (default: the copy of the repository's examples' root).
- `aws`: run against the tests' moto server (credentials and endpoint set as a user's would be).
- `before="..."`: shell lines run first (setup the block assumes, e.g. a deployed stage).
- `remove=FILE`: delete FILE from the copy first (e.g. lz_settings.json before `lz init`).
- `fails="TEXT"`: a line containing TEXT must fail (exit non-zero) and say why on stderr.
- `skip="why"`: not run here (the quickstart's test line is what CI itself runs).

Commands that never end by themselves (`lz serve`, `lz tail` without `--no-follow`) are started,
checked (serve: an HTTP request to it answers; tail: it keeps running), then stopped with Ctrl-C.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli.conftest import free_port, need_python

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COPIED = ("example_flask", "example_fastapi", "tests/django_app", "tests/fixtures")

pytestmark = pytest.mark.slow


@dataclass
class Block:
    line: int  # README line of the opening fence, for messages
    commands: list[str]
    options: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"README.md:{self.line}"


def _options(comment: str) -> dict[str, str]:
    return {word.split("=", 1)[0]: word.split("=", 1)[1] if "=" in word else ""
            for word in shlex.split(comment)}


def blocks(text: str) -> list[Block]:
    """Every ```sh block with the options of the readme-test comment just above it."""
    found = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```sh":
            start = index
            body = []
            index += 1
            while lines[index].strip() != "```":
                body.append(lines[index])
                index += 1
            above = next((lines[i] for i in range(start - 1, -1, -1) if lines[i].strip()), "")
            match = re.fullmatch(r"\s*<!-- readme-test:(.*)-->\s*", above)
            commands = [line for line in body if line.strip() and not line.lstrip().startswith("#")]
            found.append(Block(start + 1, commands, _options(match.group(1)) if match else {}))
        index += 1
    return found


README_BLOCKS = blocks((ROOT / "README.md").read_text())


def _strip_comment(line: str) -> str:
    """A command without its trailing `# comment` (README writes them after two spaces)."""
    return re.sub(r"\s{2,}#\s.*$", "", line).strip()


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel in COPIED:
        shutil.copytree(ROOT / rel, root / rel,
                        ignore=shutil.ignore_patterns(".lz", "__pycache__", "*.sqlite3"))
    return root


def _env(aws_env: dict[str, str] | None) -> dict[str, str]:
    env = dict(aws_env or os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if shutil.which("jq", path=env["PATH"]) is None:  # README pipes tail's JSON lines through jq
        shim = Path(env.get("LZ_CACHE_DIR", "/tmp")) / "readme-bin"
        shim.mkdir(parents=True, exist_ok=True)
        (shim / "jq").write_text(f"#!/bin/sh\nexec {sys.executable} -m json.tool --json-lines\n")
        (shim / "jq").chmod(0o755)
        env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
    return env


def _long_running(command: str) -> str | None:
    words = command.split()
    if words[:2] == ["lz", "serve"]:
        return "serve"
    if words[:2] == ["lz", "tail"] and "--no-follow" not in words:
        return "tail"
    return None


def _check_serve(command: str, cwd: Path, env: dict[str, str]) -> None:
    port = free_port()
    proc = subprocess.Popen(f"{command} --port {port}", shell=True, cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, f"{command!r} exited: {proc.communicate()[1][-3000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
                    status = response.status
                break
            except urllib.error.HTTPError as exc:
                status = exc.code
                break
            except OSError:
                assert time.monotonic() < deadline, f"{command!r} never answered on port {port}"
                time.sleep(0.3)
        assert status < 500, f"{command!r}: GET / answered {status}"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _check_tail(command: str, cwd: Path, env: dict[str, str]) -> None:
    proc = subprocess.Popen(command, shell=True, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(3)
    assert proc.poll() is None, f"{command!r} stopped: {proc.communicate()[1][-3000:]}"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, -signal.SIGINT, 130), err


def run_block(block: Block, tmp_path: Path, aws_env: dict[str, str] | None) -> None:
    workspace = _workspace(tmp_path)
    cwd = workspace / block.options.get("project", ".")
    if "remove" in block.options:
        (cwd / block.options["remove"]).unlink()
    env = _env(aws_env)
    fails = block.options.get("fails")
    setup = [line for line in block.options.get("before", "").split(";") if line.strip()]
    for raw in setup + block.commands:
        command = _strip_comment(raw)
        where = f"{block.name}: {command}"
        if command.startswith("cd ") and "&&" not in command:
            cwd = (cwd / command[3:].strip()).resolve()
            continue
        if command.startswith("cd ") and "&&" in command:
            first, command = (part.strip() for part in command.split("&&", 1))
            cwd = (cwd / first[3:].strip()).resolve()
        kind = _long_running(command)
        if kind == "serve":
            _check_serve(command, cwd, env)
            continue
        if kind == "tail":
            _check_tail(command, cwd, env)
            continue
        result = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True,
                                timeout=900, input="\n" * 10)
        if fails and fails in command:
            assert result.returncode != 0, f"{where}: expected to fail, it passed"
            assert "Error:" in result.stderr, f"{where}: failed without saying why: {result.stderr}"
        else:
            assert result.returncode == 0, f"{where} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"


def test_readme_has_command_blocks_and_every_one_is_run_or_says_why_not() -> None:
    assert len(README_BLOCKS) >= 5
    for block in README_BLOCKS:
        assert block.commands, f"{block.name}: an empty block"
        if "skip" in block.options:
            assert block.options["skip"], f"{block.name}: skip needs a reason"


def test_the_quickstart_serve_command_serves_the_example(tmp_path: Path, lz_env) -> None:
    """Quickstart line 1, minus the setup CI has already done: `lz serve ...` answers."""
    quick = README_BLOCKS[0]
    serve = _strip_comment(quick.commands[0]).split("&&")[-1].strip()
    assert serve.startswith(".venv/bin/lz serve"), serve
    _check_serve(serve.removeprefix(".venv/bin/"), _workspace(tmp_path), _env(lz_env))


@pytest.mark.parametrize("block", [b for b in README_BLOCKS if "skip" not in b.options],
                         ids=lambda b: _strip_comment(b.commands[0]))
def test_readme_block_runs_as_written(block: Block, tmp_path: Path, request) -> None:
    need_python("3.13")
    aws_env = request.getfixturevalue("aws_env") if "aws" in block.options else \
        request.getfixturevalue("lz_env")
    run_block(block, tmp_path, aws_env)
