"""moto 5 ignores a Lambda function's LoggingConfig (create and update take it, reads never return
it). This fixture makes the in-process moto server keep it and report it as Lambda does, so tests
can check that lz's log settings reach the function and converge; moto's behaviour is otherwise
unchanged, and it is undone after the test."""

from __future__ import annotations

from typing import Any

import pytest

DEFAULT = {"LogFormat": "Text"}


@pytest.fixture
def moto_keeps_logging_config(monkeypatch) -> None:
    from moto.awslambda import models

    cls = models.LambdaFunction
    init, get, update = cls.__init__, cls.get_configuration, cls.update_configuration

    def kept(config: dict[str, Any]) -> dict[str, Any]:
        out = {**DEFAULT, **config}
        if out["LogFormat"] == "JSON":
            out.setdefault("ApplicationLogLevel", "INFO")
            out.setdefault("SystemLogLevel", "INFO")
        else:
            out.pop("ApplicationLogLevel", None)
            out.pop("SystemLogLevel", None)
        return out

    def __init__(self, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        init(self, account_id, spec, *args, **kwargs)
        self.lz_logging = kept(spec.get("LoggingConfig") or {})

    def get_configuration(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = get(self, *args, **kwargs)
        config["LoggingConfig"] = {**getattr(self, "lz_logging", DEFAULT),
                                   "LogGroup": f"/aws/lambda/{self.function_name}"}
        return config

    def update_configuration(self, updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in updates:
            self.lz_logging = kept(updates["LoggingConfig"])
        return update(self, updates)

    monkeypatch.setattr(cls, "__init__", __init__)
    monkeypatch.setattr(cls, "get_configuration", get_configuration)
    monkeypatch.setattr(cls, "update_configuration", update_configuration)
