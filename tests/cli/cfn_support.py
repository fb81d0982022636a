"""Helpers for the template tests: a stage's template rendered in-process from its settings and code
(the bundle only lends its digest, so a stand-in zip does), cfn-lint run as a library, and the
pseudo parameters resolved as CloudFormation resolves them (to compare with lz's engine)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from tests.cli.conftest import REGION as MOTO_REGION
from tests.cli.conftest import ROOT

ACCOUNT = "123456789012"
REGION = "us-east-1"
HANDLER = "lz_handler.handler"


def project(tmp_path: Path, base: str, changes: dict | None = None, files: dict[str, str] | None = None,
            stage: str = "dev") -> Path:
    """A copy of `base` (example_flask, example_fastapi, tests/django_app) with `changes` merged into
    the stage's settings and `files` added."""
    dest = tmp_path / Path(base).name.replace("_", "-")
    shutil.copytree(ROOT / base, dest, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
    settings = json.loads((dest / "lz_settings.json").read_text())
    settings[stage] = {**settings[stage], **(changes or {})}
    (dest / "lz_settings.json").write_text(json.dumps(settings))
    for rel, text in (files or {}).items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    return dest


def stand_in_zip(root: Path) -> Path:
    """A zip standing in for the bundle: the model reads only its digest and, for a streaming
    stage, that lz's runtime loop and its executable wrapper are in it."""
    import zipfile

    from lz.runtime import wrapper

    path = root / ".lz" / "stand-in.zip"
    path.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("lz/runtime/bootstrap.py", "")
        info = zipfile.ZipInfo(wrapper.ARCNAME)
        info.external_attr = 0o755 << 16
        zf.writestr(info, "#!/bin/sh\n")
    return path


def model(root: Path, stage: str = "dev", real: bool = False):
    """The stage's desired model: with the pseudo parameters (the template's), or with ACCOUNT and
    REGION (what lz's engine deploys)."""
    from lz.cli.deploy.models import desired
    from lz.cli.settings import load
    from lz.cli.template import desired_for_template

    settings = load(root, stage)
    if real:
        return desired(settings, REGION, ACCOUNT, stand_in_zip(root), HANDLER)
    return desired_for_template(settings, stand_in_zip(root), HANDLER)


def render(root: Path, stage: str = "dev", fmt: str = "cloudformation", local: bool = False):
    from lz.cli.template import Code, render as make

    code = Code(path=".lz/stand-in.zip") if local else Code(bucket="lz-code", key="dev/abc.zip")
    return make(model(root, stage), code, fmt)


def lint(document: dict) -> list[str]:
    """cfn-lint's findings (rule id and message), run as a library on the JSON text."""
    from cfnlint.api import ManualArgs, lint as run

    found = run(json.dumps(document), config=ManualArgs(regions=[REGION]))
    return [f"{m.rule.id} {m.message}" for m in found]


def resolve(value: Any, account: str = ACCOUNT, region: str = REGION) -> Any:
    """`value` with Fn::Sub of the pseudo parameters done (and `${!` unescaped), as CloudFormation
    does; references to resources are left as they are."""
    if isinstance(value, dict):
        if list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"].replace("${AWS::AccountId}", account).replace("${AWS::Region}", region)
            if re.search(r"\$\{(?!!)", text):
                return value | {"Fn::Sub": text}
            return text.replace("${!", "${")
        return {k: resolve(v, account, region) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, account, region) for v in value]
    return value


def of_type(document: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in document["Resources"].items() if r["Type"] == kind}


# What the CloudFormation engine's tests share: the stack lz names for project "proj", stage "dev",
# a one-line WSGI app, and a boto3 client of the moto server the fixtures started.
STACK = "proj-dev"
APP = '''def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
'''


def stack_client(service: str):
    import boto3

    return boto3.client(service, region_name=MOTO_REGION)
