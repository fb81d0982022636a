"""@schedule found by reading the code (never by running it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lz.cli.registry import RegistryError, Schedule, schedules_in


def files(tmp_path: Path, **sources: str) -> list[tuple[str, Path]]:
    out = []
    for rel, text in sources.items():
        path = tmp_path / rel.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        out.append((path.relative_to(tmp_path).as_posix(), path))
    return out


def test_schedules_are_read_with_their_arguments(tmp_path: Path) -> None:
    found = schedules_in(files(tmp_path, **{
        "jobs__nightly.py": (
            "import lz\nfrom lz import schedule\nraise SystemExit('never run')\n"
            "@schedule('rate(1 hour)', 'cron(0 3 * * ? *)', input={'k': 1})\ndef sweep(x=None): ...\n"
            "class Reports:\n    @lz.schedule('rate(1 day)', enabled=False)\n    def daily(self): ...\n"
            "def not_scheduled(): ...\n"),
        "other.py": "def schedule(): ...\n",
        "broken.py": "def (:\n",
    }))
    assert found == [
        Schedule("jobs.nightly.sweep", "rate(1 hour)", {"k": 1}, True),
        Schedule("jobs.nightly.sweep", "cron(0 3 * * ? *)", {"k": 1}, True),
        Schedule("jobs.nightly.Reports.daily", "rate(1 day)", None, False),
    ]


def test_non_literal_arguments_are_an_error_that_points_at_them(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"app.py:3: @schedule arguments must be literal"):
        schedules_in(files(tmp_path, **{"app.py": "from lz import schedule\nEVERY='rate(1 hour)'\n@schedule(EVERY)\ndef f(): ...\n"}))
