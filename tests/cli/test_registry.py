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


def test_tasks_and_event_sources_are_read_with_their_options(tmp_path: Path) -> None:
    from lz.cli.registry import Source, TaskDecl, resolve_targets, scan

    found = scan(files(tmp_path, **{
        "work.py": (
            "from lz import task, on_s3, on_sqs, on_sns\n"
            "@task\ndef plain(): ...\n"
            "@task(queue=True, retries=1)\ndef queued(): ...\n"
            "@on_s3(bucket='${UPLOADS}', prefix='in/', suffix='.png')\ndef pic(r): ...\n"
            "@on_sqs('jobs', batch_size=3)\ndef job(m): ...\n"
            "@on_sns(topic='arn:aws:sns:eu-west-1:123456789012:alerts')\ndef alert(r): ...\n"),
    }))
    assert found.tasks == [TaskDecl("work.plain", False), TaskDecl("work.queued", True)]
    assert found.sources == [
        Source("s3", "work.pic", "${UPLOADS}", ("s3:ObjectCreated:*",), "in/", ".png"),
        Source("sqs", "work.job", "jobs", (), batch_size=3),
        Source("sns", "work.alert", "arn:aws:sns:eu-west-1:123456789012:alerts"),
    ]
    assert resolve_targets(found.sources, {"UPLOADS": "up-dev"}, "dev")[0].target == "up-dev"
    with pytest.raises(RegistryError, match=r'work.py:6: @on_s3 names \$\{UPLOADS\}, but stage "dev" has no UPLOADS'):
        resolve_targets(found.sources, {}, "dev")
    with pytest.raises(RegistryError, match=r"work.py:1: @on_sqs arguments must be literal"):
        scan(files(tmp_path, **{"work.py": "@on_sqs(QUEUE)\ndef job(m): ...\n"}))
