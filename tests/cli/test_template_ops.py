"""Issue 13's settings in `lz template`: the role's statements for the stage's secrets (by name; a
secret's ARN with its 6 random characters as -??????), the log settings in the function's
LoggingConfig, the alarms and lz's SNS topic, and notes for what a template cannot do (a canary,
finding a customer managed key). The template passes cfn-lint."""

from __future__ import annotations

from pathlib import Path

from tests.cli.cfn_support import ACCOUNT, REGION, lint, of_type, render, resolve
from tests.cli.conftest import make_project

APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
SETTINGS = {"app": "app:app", "http": "function_url", "log_format": "json", "log_level": "WARN",
            "secrets": {"DB": "ssm:/proj/db", "KEY": "secretsmanager:proj/stripe#api_key"},
            "alarms": {"error_rate": "2%", "p99_ms": 900, "notify": "ops@example.com"},
            "deploy": {"canary": "10%", "for": "5m"}}


def test_template_holds_secrets_grants_log_settings_and_alarms(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"dev": SETTINGS}, {"app.py": APP})
    rendered = render(root)
    document = rendered.document
    assert lint(document) == []
    [role] = of_type(document, "AWS::IAM::Role").values()
    statements = {s["Sid"]: s for s in resolve(role["Properties"]["Policies"][0]["PolicyDocument"])["Statement"]}
    assert statements["ReadParameters"]["Resource"] == [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/proj/db"]
    assert statements["ReadSecrets"]["Resource"] == [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:proj/stripe-??????"]
    [function] = of_type(document, "AWS::Lambda::Function").values()
    assert function["Properties"]["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "WARN",
                                                       "SystemLogLevel": "WARN"}
    variables = resolve(function["Properties"]["Environment"]["Variables"])
    assert variables["LZ_SECRETS"] == '{"DB":"ssm:/proj/db","KEY":"secretsmanager:proj/stripe#api_key"}'
    alarms = {a["Properties"]["AlarmName"]: resolve(a["Properties"])
              for a in of_type(document, "AWS::CloudWatch::Alarm").values()}
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:proj-dev-alarms"
    assert sorted(alarms) == ["proj-dev-error-rate", "proj-dev-p99"]
    assert alarms["proj-dev-p99"]["ExtendedStatistic"] == "p99" and alarms["proj-dev-p99"]["Threshold"] == 900
    assert alarms["proj-dev-error-rate"]["AlarmActions"] == [topic]
    [sub] = of_type(document, "AWS::SNS::Subscription").values()
    assert sub["Properties"]["Endpoint"] == "ops@example.com"
    notes = {note.what for note in rendered.notes}
    assert {"secrets", "deploy.canary"} <= notes
