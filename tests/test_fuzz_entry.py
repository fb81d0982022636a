"""Fuzzing the bundle entry (issue 11, "Checks that stay"; items 5, 6, 11).

About 20,400 hostile events (10,000 per app, 400 from hypothesis) go through
`Dispatcher(adapt(app))`, built exactly as the generated lz_handler.py builds it, for a WSGI and an
ASGI app that reflect request headers, path and query into their response headers: a seeded mutator
of the fixture events (tests/fixtures/events/), plus hypothesis-drawn header maps. Counted:
exceptions escaping the entry, results the event's front would refuse, CR/LF/NUL in result headers
(RFC 9110 §5.5), and RSS growth after warm-up while big, unique, client-chosen values pass through
(caches must not keep them).

The 100,000-event run with the same machinery is `bench/fuzz.py`. The harness is
tests/adapter/fuzzing.py and fuzz_run.py; a finding names its kind and the first event that showed
it.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.adapter import fuzz_run, fuzzing

EVENTS_PER_APP = 10_000  # two apps: 20,000 through the entry, plus the hypothesis examples
WARMUP = 2_000
RSS_GROWTH_LIMIT_MB = 10.0
APPS = {"wsgi": fuzzing.reflect_wsgi, "asgi": fuzzing.reflect_asgi}


@pytest.fixture(autouse=True)
def only_the_apps_registrations():
    """The bundle under test registers nothing but its app: other test modules' @task/@on_sns
    handlers (registered at their import, in this process) must not answer the fuzzed records."""
    from lz import tasks
    from lz.tasks import names

    saved = [(registry, registry.copy()) for registry in
             (tasks.TASKS, tasks.SCHEDULED, tasks.COMMANDS, names.DECLARED)]
    sources, schedules = list(tasks.SOURCES), list(tasks.SCHEDULES)
    for registry, _ in saved:
        registry.clear()
    tasks.SOURCES.clear()
    tasks.SCHEDULES.clear()
    yield
    for registry, copy in saved:
        registry.clear()
        registry.update(copy)
    tasks.SOURCES[:] = sources
    tasks.SCHEDULES[:] = schedules


def _kind(counts: Counter, examples: dict[str, str], prefix: str) -> dict[str, Any]:
    return {k: (v, examples.get(k, "")[:400]) for k, v in counts.items() if k.startswith(prefix)}


@pytest.mark.slow
@pytest.mark.parametrize("front", sorted(APPS))
def test_hostile_events_through_the_bundle_entry(front: str) -> None:
    """One seeded run per front end; every kind of finding is checked, and a failure shows them
    all side by side (count and first event of each), so one kind cannot hide another:

    - escapes: no exception leaves the entry (Lambda would report an error for the request);
    - invalid: every result is one the event's front accepts (types, statusCode, size limit);
    - crlf: no CR, LF or NUL in a result header (RFC 9110 section 5.5: a field value with them is
      invalid; a reflecting app would otherwise split the response), and the refusals are logged;
    - rss: resident memory stays flat after warm-up while big unique client values pass through.
    """
    counts: Counter = Counter()
    examples: dict[str, str] = {}
    seed = 11 if front == "wsgi" else 12
    rss = fuzz_run.run(fuzzing.entry(APPS[front]), fuzz_run.events(seed, EVENTS_PER_APP),
                       counts, examples, warmup=WARMUP)
    growth = rss["end"] - rss["warm"] if rss["start"] else 0.0  # 0: no /proc on this system
    found = {
        "escapes": _kind(counts, examples, "escape"),
        "invalid results": {**_kind(counts, examples, "invalid"),
                            **_kind(counts, examples, "unserializable")},
        "CR/LF/NUL in result headers": _kind(counts, examples, "crlf"),
        f"RSS growth over {RSS_GROWTH_LIMIT_MB} MB": growth if growth >= RSS_GROWTH_LIMIT_MB
        else None,
    }
    clean = {"escapes": {}, "invalid results": {}, "CR/LF/NUL in result headers": {},
             f"RSS growth over {RSS_GROWTH_LIMIT_MB} MB": None}
    assert found == clean, f"{front}: {counts['events']:,} events, RSS MB {rss}"
    assert counts["events"] == EVENTS_PER_APP
    assert counts["request-log lines"] > EVENTS_PER_APP // 2  # most of them were HTTP requests
    assert counts["log ERROR"] > 0  # the refused responses were logged


# hypothesis: header maps and paths drawn from text with control characters ---------------------

_hostile = st.text(alphabet=st.sampled_from(list("aZ-_:; \t\r\n\x00\x7fé\u2028/%0D")), max_size=12)
_headers = st.dictionaries(_hostile, _hostile, max_size=6)
_HANDLERS = {front: fuzzing.entry(app) for front, app in APPS.items()}


@st.composite
def hostile_events(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(fuzzing.HTTP_FIXTURES))
    event = json.loads(fuzzing.TEXTS[name])
    extra = draw(_headers)
    for key, multi in (("headers", False), ("multiValueHeaders", True)):
        if type(event.get(key)) is dict:
            event[key].update({k: [v] if multi else v for k, v in extra.items()})
    for key in ("path", "rawPath"):
        if key in event:
            event[key] = "/" + draw(_hostile)
    if draw(st.booleans()):
        event["body"] = draw(_hostile)
        event["isBase64Encoded"] = draw(st.booleans())
    return event


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(event=hostile_events(), which=st.sampled_from(sorted(APPS)))
def test_hypothesis_events_get_valid_answers_without_cr_lf(event: dict, which: str) -> None:
    counts: Counter = Counter()
    examples: dict[str, str] = {}
    fuzz_run.run(_HANDLERS[which], iter([event]), counts, examples)
    assert fuzz_run.problems(counts) == {}, examples


def test_the_mutator_is_seeded() -> None:
    """A finding is replayed from its seed: the same seed gives the same events."""
    first = [repr(fuzzing.mutate(random.Random(5), n))[:2000] for n in range(50)]
    again = [repr(fuzzing.mutate(random.Random(5), n))[:2000] for n in range(50)]
    assert first == again
