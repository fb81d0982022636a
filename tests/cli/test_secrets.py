"""Secrets: references in the configuration, values read inside the function at cold start (the
bundle under the local runtime, moto serving SSM and Secrets Manager through lz's own SigV4
client), the exact role statements, and a missing secret at deploy and at init."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.builders import make
from tests.cli.conftest import REGION, lz, make_project, need_python

pytestmark = pytest.mark.slow  # deploys against moto

NAME = "proj-dev"
APP = '''import json, os

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    names = ("DB_PASSWORD", "API_TOKEN", "STRIPE_KEY", "WHOLE")
    return [json.dumps({n: os.environ.get(n) for n in names}).encode()]
'''
VALUES = {"DB_PASSWORD": "pw-7f3a9c", "API_TOKEN": "tok-b81d22", "STRIPE_KEY": "sk-live-4c1e0b"}
SECRETS = {"DB_PASSWORD": "ssm:/proj/dev/db_password", "API_TOKEN": "ssm:/proj/dev/api_token",
           "STRIPE_KEY": "secretsmanager:proj/stripe#api_key", "WHOLE": "secretsmanager:proj/plain"}


def _client(name: str):
    import boto3

    return boto3.client(name, region_name=REGION)


@pytest.fixture
def stored(aws_env) -> dict[str, str]:
    """The values in moto: a String, a SecureString under a customer managed key, a JSON secret
    and a plain one; returns the customer key's ARN and the JSON secret's ARN."""
    key = _client("kms").create_key(Description="app secrets")["KeyMetadata"]
    ssm = _client("ssm")
    ssm.put_parameter(Name="/proj/dev/db_password", Value=VALUES["DB_PASSWORD"], Type="SecureString",
                      KeyId=key["KeyId"])
    ssm.put_parameter(Name="/proj/dev/api_token", Value=VALUES["API_TOKEN"], Type="String")
    sm = _client("secretsmanager")
    arn = sm.create_secret(Name="proj/stripe", SecretString=json.dumps({"api_key": VALUES["STRIPE_KEY"],
                                                                       "other": "x"}))["ARN"]
    plain = sm.create_secret(Name="proj/plain", SecretString="whole-secret-91ab")["ARN"]
    return {"key": key["Arn"], "secret": arn, "plain": plain}


def _project(tmp_path: Path, secrets: dict[str, str] = SECRETS) -> Path:
    return make_project(tmp_path, {"dev": {"app": "app:app", "secrets": secrets}}, {"app.py": APP})


def _deployed_zip(tmp_path: Path) -> Path:
    from moto.awslambda.utils import get_backend

    data = get_backend("123456789012", REGION).get_function(NAME, "live").code_bytes
    path = tmp_path / "deployed.zip"
    path.write_bytes(data)
    return path


def _policy() -> dict:
    iam = _client("iam")
    return iam.get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"]


def test_secrets_resolve_inside_the_function_and_appear_nowhere_else(aws_env, stored, tmp_path: Path) -> None:
    python = need_python("3.13")
    project = _project(tmp_path)
    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 0, result.stderr
    values = list(VALUES.values()) + ["whole-secret-91ab"]
    printed = result.stdout + result.stderr
    assert not [v for v in values if v in printed], "a secret value in the deploy's output"
    config = _client("lambda").get_function_configuration(FunctionName=NAME, Qualifier="live")
    variables = config["Environment"]["Variables"]
    assert json.loads(variables["LZ_SECRETS"]) == SECRETS  # references, not values
    assert not [v for v in values if v in json.dumps(config)]
    bundle = _deployed_zip(tmp_path)
    with zipfile.ZipFile(bundle) as z:
        assert not [n for n in z.namelist() for v in values if v.encode() in z.read(n)]

    from lz.cli.local.runner import LocalFunction

    with LocalFunction(bundle, "3.13", python=python, environment=variables) as fn:
        inv = fn.invoke(make("http_v2", path="/"))
    assert inv.ok, (inv.describe(), inv.log)
    assert json.loads(inv.result["body"]) == {**VALUES, "WHOLE": "whole-secret-91ab"}
    assert not [v for v in values if v in "\n".join(inv.log)], "a secret value in the function's log"


def test_the_role_may_read_exactly_those_secrets(aws_env, stored, tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 0, result.stderr
    statements = {s["Sid"]: s for s in _policy()["Statement"]}
    account = "123456789012"
    assert statements["ReadParameters"]["Action"] == ["ssm:GetParameters"]
    assert statements["ReadParameters"]["Resource"] == [
        f"arn:aws:ssm:{REGION}:{account}:parameter/proj/dev/api_token",
        f"arn:aws:ssm:{REGION}:{account}:parameter/proj/dev/db_password"]
    # the full ARNs, with the 6 random characters Secrets Manager appends to the name
    assert statements["ReadSecrets"] == {
        "Sid": "ReadSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
        "Resource": sorted([stored["secret"], stored["plain"]])}
    assert all(arn[-7] == "-" and len(arn.rsplit("-", 1)[1]) == 6 for arn in statements["ReadSecrets"]["Resource"])
    # the SecureString's customer managed key, only through SSM; the secrets use aws/secretsmanager
    assert statements["DecryptParameters"] == {
        "Sid": "DecryptParameters", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [stored["key"]],
        "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}}}
    assert "DecryptSecrets" not in statements


def test_a_secret_under_a_customer_key_gets_decrypt_through_secrets_manager_only(aws_env, tmp_path: Path) -> None:
    key = _client("kms").create_key()["KeyMetadata"]
    _client("secretsmanager").create_secret(Name="proj/k", SecretString="v", KmsKeyId=key["KeyId"])
    project = _project(tmp_path, {"K": "secretsmanager:proj/k"})
    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 0, result.stderr
    statements = {s["Sid"]: s for s in _policy()["Statement"]}
    assert statements["DecryptSecrets"]["Resource"] == [key["Arn"]]
    assert statements["DecryptSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    assert "ReadParameters" not in statements


@pytest.mark.parametrize("missing, named", [
    ({"NOPE": "ssm:/proj/dev/nope"}, "NOPE (ssm:/proj/dev/nope)"),
    ({"GONE": "secretsmanager:proj/gone#k"}, "GONE (secretsmanager:proj/gone#k)"),
])
def test_a_missing_secret_fails_the_deploy_before_anything_changes(aws_env, stored, tmp_path: Path,
                                                                   missing, named) -> None:
    project = _project(tmp_path, {**SECRETS, **missing})
    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode != 0
    assert named in result.stderr and "nothing was changed" in result.stderr
    assert _client("lambda").list_functions()["Functions"] == []
    assert not [r for r in _client("iam").list_roles()["Roles"] if r["RoleName"].startswith(NAME)]


def test_a_secret_deleted_after_the_deploy_is_an_init_error_naming_it(aws_env, stored, tmp_path: Path) -> None:
    python = need_python("3.13")
    project = _project(tmp_path)
    assert lz(aws_env, "deploy", "dev", "--project", str(project)).returncode == 0
    _client("ssm").delete_parameter(Name="/proj/dev/api_token")
    variables = _client("lambda").get_function_configuration(FunctionName=NAME)["Environment"]["Variables"]
    from lz.cli.local.runner import LocalFunction

    with LocalFunction(_deployed_zip(tmp_path), "3.13", python=python, environment=variables) as fn:
        inv = fn.invoke(make("http_v2", path="/"))
    assert not inv.ok
    text = inv.describe() + "\n".join(inv.log)
    assert "API_TOKEN (ssm:/proj/dev/api_token)" in text
    assert VALUES["DB_PASSWORD"] not in text


def test_a_missing_json_key_is_an_init_error_naming_it(aws_env, stored, tmp_path: Path) -> None:
    python = need_python("3.13")
    project = _project(tmp_path, {"STRIPE_KEY": "secretsmanager:proj/stripe#nokey"})
    assert lz(aws_env, "deploy", "dev", "--project", str(project)).returncode == 0
    variables = _client("lambda").get_function_configuration(FunctionName=NAME)["Environment"]["Variables"]
    from lz.cli.local.runner import LocalFunction

    with LocalFunction(_deployed_zip(tmp_path), "3.13", python=python, environment=variables) as fn:
        inv = fn.invoke(make("http_v2", path="/"))
    text = inv.describe() + "\n".join(inv.log)
    assert not inv.ok and "STRIPE_KEY" in text and "'nokey'" in text and "api_key, other" in text
    assert VALUES["STRIPE_KEY"] not in text


def test_the_plan_shows_no_values(aws_env, stored, tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = lz(aws_env, "deploy", "dev", "--dry-run", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert not [v for v in VALUES.values() if v in result.stdout + result.stderr]


def test_sigv4_signature_matches_the_documented_example() -> None:
    """The signing key derivation and signature of "Create a signed AWS API request" (IAM user
    guide) checked against botocore's SigV4 signer for the same request."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from lz.runtime.sigv4 import sign

    body = b'{"Names":["/a"],"WithDecryption":true}'
    now = 1_700_000_000
    ours = sign("ssm", "eu-west-1", "ssm.eu-west-1.amazonaws.com", body, "AmazonSSM.GetParameters", now,
                "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok")
    request = AWSRequest("POST", "https://ssm.eu-west-1.amazonaws.com/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameters"})
    import datetime
    from unittest import mock

    stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.datetime.datetime") as clock:
        clock.utcnow.return_value = stamp
        clock.now.return_value = stamp
        SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok"),
                  "ssm", "eu-west-1").add_auth(request)
    theirs = request.headers["Authorization"]
    assert ours["authorization"].split("Signature=")[1] == theirs.split("Signature=")[1]


def test_a_reference_that_is_not_one_is_a_settings_error(lz_env, tmp_path: Path) -> None:
    project = _project(tmp_path, {"DB": "vault:/x"})
    result = lz(lz_env, "package", "dev", "--project", str(project))
    assert result.returncode != 0 and '"secrets"."DB"' in result.stderr and "ssm:/NAME" in result.stderr
    project = make_project(tmp_path, {"dev": {"app": "app:app", "secrets": {"DB": "ssm:/x"},
                                              "environment": {"DB": "y"}}}, {"app.py": APP})
    result = lz(lz_env, "package", "dev", "--project", str(project))
    assert result.returncode != 0 and '"environment" sets DB too' in result.stderr


def test_serve_reads_the_secrets_with_the_developers_credentials(aws_env, stored, tmp_path: Path) -> None:
    from tests.cli.serve_support import Server, fetch

    project = _project(tmp_path)
    server = Server(["dev", "--no-reload", "--project", str(project)], env=aws_env)
    try:
        status, _, body = fetch(server.base + "/")
    finally:
        server.stop()
    assert status == 200, server.output
    assert json.loads(body) == {**VALUES, "WHOLE": "whole-secret-91ab"}
    assert not [v for v in VALUES.values() if v in server.output]


def test_serve_with_an_env_file_works_offline_and_names_what_it_lacks(lz_env, tmp_path: Path) -> None:
    from tests.cli.serve_support import Server, fetch

    project = _project(tmp_path)
    env_file = tmp_path / "local.env"
    env_file.write_text("# offline values\nDB_PASSWORD=local-pw\nexport API_TOKEN='t'\nSTRIPE_KEY=\"s\"\n"
                        "WHOLE=w\n")
    offline = {**lz_env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}  # nothing answers there
    server = Server(["dev", "--no-reload", "--env-file", str(env_file), "--project", str(project)], env=offline)
    try:
        status, _, body = fetch(server.base + "/")
    finally:
        server.stop()
    assert status == 200 and json.loads(body) == {"DB_PASSWORD": "local-pw", "API_TOKEN": "t",
                                                  "STRIPE_KEY": "s", "WHOLE": "w"}
    env_file.write_text("DB_PASSWORD=x\n")
    result = lz(offline, "serve", "dev", "--env-file", str(env_file), "--project", str(project))
    assert result.returncode != 0
    assert "has no API_TOKEN, STRIPE_KEY, WHOLE" in result.stderr


def test_a_source_name_is_never_read_from_a_secret(aws_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "secrets": {"BUCKET": "ssm:/b"}}},
                           {"app.py": APP + "\nfrom lz import on_s3\n\n@on_s3(bucket='${BUCKET}')\n"
                                            "def upload(record):\n    pass\n"})
    result = lz(aws_env, "deploy", "dev", "--dry-run", "--project", str(project))
    assert result.returncode != 0
    assert "names ${BUCKET}, one of the stage's \"secrets\"" in result.stderr and "never interpolated" in result.stderr
