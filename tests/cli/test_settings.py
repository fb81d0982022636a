"""lz_settings.json: every broken file gets an error that says what is wrong and how to fix it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lz.cli.settings import KEYS, SettingsError, load, schema

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, data) -> Path:
    text = data if isinstance(data, str) else json.dumps(data)
    (tmp_path / "lz_settings.json").write_text(text)
    return tmp_path


def error(tmp_path: Path, data, stage: str = "dev") -> str:
    with pytest.raises(SettingsError) as info:
        load(write(tmp_path, data), stage)
    return str(info.value)


def test_inheritance_and_defaults(tmp_path: Path) -> None:
    write(tmp_path, {
        "dev": {"app": "app:app", "environment": {"A": "1", "B": "2"}, "adapter": {"strip_stage": False}},
        "prod": {"extends": "dev", "architecture": "arm64", "environment": {"B": "3"}},
    })
    prod = load(tmp_path, "prod")
    assert prod.app == "app:app" and prod.architecture == "arm64" and prod.runtime == "python3.13"
    assert prod.environment == {"A": "1", "B": "3"}  # objects merge, the child wins
    assert prod.adapter == {"strip_stage": False}
    assert prod.timeout == 30 and prod.python_version == "3.13"


@pytest.mark.parametrize("data, says", [
    ('{"dev": {"app": "app:app",}}', "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 27"),
    ("[]", "must be an object with one entry per stage"),
    ({"dev": {"app": "app:app", "runtme": "python3.13"}}, 'stage "dev": unknown key "runtme" (did you mean "runtime"?)'),
    ({"dev": {"app": "app:app", "timeout": "30"}}, 'stage "dev": "timeout" must be an integer, got a string "30"'),
    ({"dev": {"app": "app:app", "timeout": 901}}, '"timeout" must be from 1 to 900, got 901'),
    ({"dev": {"app": "app:app", "runtime": "python3.9"}}, '"runtime" must be one of "python3.12", "python3.13", "python3.14", got "python3.9"'),
    ({"dev": {"app": "app:app", "architecture": "arm"}}, '"architecture" must be one of "x86_64", "arm64", got "arm" (did you mean "arm64"?)'),
    ({"dev": {"app": "app"}}, '"app" must look like package.module:app, got "app"'),
    ({"dev": {"runtime": "python3.13"}}, 'stage "dev" has no "app"'),
    ({"dev": {"app": "a:b", "environment": {"N": 1}}}, '"environment"."N" must be a string, got an integer 1'),
    ({"dev": {"app": "a:b", "adapter": {"base_pth": "/x"}}}, 'unknown key "base_pth" (did you mean "base_path"?)'),
    ({"dev": {"app": "a:b", "include": "*.txt"}}, '"include" must be a list, got a string'),
    ({"dev": {"app": "a:b", "extends": "base"}}, 'stage "dev" extends "base", which is not in lz_settings.json'),
    ({"dev": {"app": "a:b", "extends": "prod"}, "prod": {"extends": "dev"}}, "extend each other in a circle: dev -> prod -> dev"),
    ({"dev": ["app"]}, 'stage "dev" must be an object, got a list'),
    ({"dev": {"app": "a:b", "architecture": "amd64"}}, 'got "amd64" (did you mean "x86_64"? it is the same architecture'),
    ({"dev": {"app": "a:b", "architecture": "aarch64"}}, 'got "aarch64" (did you mean "arm64"? it is the same architecture'),
    ({"dev": {"app": "a:b", "runtime": "python3.11"}}, 'got "python3.11"; lz supports the Lambda Python runtimes on Amazon Linux 2023'),
])
def test_broken_settings_say_what_and_how(tmp_path: Path, data, says: str) -> None:
    assert says in error(tmp_path, data)


def test_unknown_stage_names_the_nearest(tmp_path: Path) -> None:
    message = error(tmp_path, {"dev": {"app": "a:b"}, "prod": {"app": "a:b"}}, stage="prd")
    assert 'no stage "prd"' in message and 'did you mean "prod"?' in message and "stages: dev, prod" in message


def test_missing_file_says_where_to_look(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no lz_settings.json in .*run `lz init` there.*`lz schema`"):
        load(tmp_path, "dev")


def test_settings_example_covers_every_key_and_is_valid() -> None:
    example = json.loads((ROOT / "settings.example.json").read_text())
    used = {key for stage in example.values() for key in stage}
    assert used == set(KEYS), set(KEYS) - used
    adapter_keys = set(KEYS["adapter"][0]["properties"])
    assert set(example["dev"]["adapter"]) == adapter_keys
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ROOT / "settings.example.json", Path(tmp) / "lz_settings.json")
        for stage in example:
            load(tmp, stage)


def test_lz_schema_prints_the_json_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "lz.cli.main", "schema"], capture_output=True,
                         text=True, check=True)
    printed = json.loads(out.stdout)
    assert printed == schema()
    stage = printed["additionalProperties"]
    assert set(stage["properties"]) == set(KEYS) and stage["additionalProperties"] is False


def test_schema_agrees_with_jsonschema_on_the_example() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    example = json.loads((ROOT / "settings.example.json").read_text())
    jsonschema.validate(example, schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"dev": {"app": "a:b", "runtme": "x"}}, schema())


def test_one_naming_rule_for_a_long_project_name() -> None:
    """Deploy, teardown and tail must find the same function, role and log group, however long the
    project name (the function name is cut at 64 characters, and everything derives from it)."""
    from lz.cli.settings import function_name, log_group_name, role_name

    project = "a-very-long-project-name-" * 3
    assert len(function_name(project, "prod")) == 64
    assert log_group_name(project, "prod") == "/aws/lambda/" + function_name(project, "prod")
    assert len(role_name(project, "prod")) == 64
