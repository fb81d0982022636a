"""`lz package` leaves secrets out (by name and by content), refuses symlinks that leave the
project, stores in-project symlinks as their target's content, and `--explain` says why each file
was left out. Bundles are built by the real CLI; one is run under the local Lambda runtime."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from lz.cli.bundle.collect import collect
from lz.cli.bundle.secrets import secret_content
from lz.cli.local.runner import LocalFunction
from tests.builders import make
from tests.cli.conftest import lz, make_project, need_python

APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
PEM = ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
       "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n")
AWS_SECRET = "kq8Jd0Vw3ZrT6yHb1XnM4pLs9QeRf2Gu7AcWi5Ox"  # 40 characters, made up

# Every file the issue found shipped, and more that secret scanners flag by name.
SECRET_FILES = [
    "secrets.json", "secrets.yaml", "secrets.yml", "credentials.json", "service-account.json",
    "service-account-prod.json", "config/credentials.yml", "terraform.tfstate",
    "terraform.tfstate.backup", "terraform.tfvars", "prod.auto.tfvars", ".git-credentials",
    ".ssh/config", ".ssh/anything", ".docker/config.json", "kubeconfig", ".kube/config", ".pgpass",
    ".htpasswd", "private.asc", "signing.gpg", "release.keystore", "android.jks", ".vault-token",
    "deploy_rsa", "id_ed25519", ".s3cfg", ".boto", "my-project-firebase-adminsdk-x1y2z.json",
    "client_secret_123.apps.googleusercontent.com.json", ".my.cnf", "rootkey.csv", "accessKeys.csv",
    "token.pickle", ".bash_history", ".envrc", "prod.env", ".netrc", ".npmrc", "store.kdbx",
    "putty.ppk", "vpn.ovpn", ".config/gcloud/application_default_credentials.json",
    ".gnupg/pubring.kbx", ".azure/azureProfile.json", "keys/.vagrant/private_key",
]
CONTENT_SECRETS = {  # file -> what --explain names
    "config/google.json": ('{"type": "service_account", "private_key": ' + json.dumps(PEM) + "}",
                           "a private key"),
    "settings/aws.yaml": (f"region: eu-west-1\naws_secret_access_key: {AWS_SECRET}\n",
                          "an AWS secret access key (line 2)"),
    "deploy.ini": (f"[default]\naws_access_key_id = AKIAQ3EGRTZ5XMPL4RVD\n", "an AWS access key id"),
    "oauth.cfg": ("[google]\nclient_id = 123.apps\nclient_secret = Xk29fLq0ZpW7vR3tYb8nM1sD\n",
                  'a literal "client_secret" value (line 3)'),
    "ci.toml": ('[github]\ntoken = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"\n', "a GitHub token"),
}
ORDINARY = {  # config that mentions secrets without holding one: it ships
    "settings.py": "import os\nSECRET_KEY = os.environ['SECRET_KEY']\nAWS_SECRET_ACCESS_KEY = None\n",
    "config/app.json": json.dumps({"secret_key": "SECRET_KEY", "client_secret": "${CLIENT_SECRET}",
                                   "private_key": "keys/signing.pem", "api_key": "your-api-key-here",
                                   "password_min_length": 12}),
    "config/app.yaml": "aws_secret_access_key: ${AWS_SECRET_ACCESS_KEY}\nsecret_key: !ENV DJANGO_SECRET\n",
    "setup.cfg": "[flake8]\nmax-line-length = 100\n",
    "myapp/secrets/__init__.py": "def fetch(name):\n    return name\n",  # a package, not a store
    "templates/password_reset.html": "<p>reset</p>",
}


def _zip_names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


def test_secret_names_and_contents_are_left_out_and_explained_but_ordinary_config_ships(
        lz_env, tmp_path: Path) -> None:
    files = {"app.py": APP, **ORDINARY, **{name: "x" for name in SECRET_FILES},
             **{name: text for name, (text, _) in CONTENT_SECRETS.items()}}
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, files)
    out = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out), "--explain")
    assert result.returncode == 0, result.stderr
    names = _zip_names(out)
    leaked = [name for name in SECRET_FILES + list(CONTENT_SECRETS) if name in names]
    assert not leaked, leaked
    assert set(ORDINARY) <= names, set(ORDINARY) - names
    report = result.stderr
    for name in ["secrets.json", "terraform.tfstate", ".git-credentials", "kubeconfig", ".pgpass",
                 ".htpasswd", "private.asc", "release.keystore", ".vault-token"]:
        assert f"left out (looks secret): {name}" in report, name
    for folder in [".ssh/", ".docker/", ".kube/", ".gnupg/", ".azure/", "keys/.vagrant/"]:
        assert any(line.split()[:1] == [folder] and "secret by name" in line
                   for line in report.splitlines()), folder
    for name, (_, why) in CONTENT_SECRETS.items():
        line = next(line for line in report.splitlines() if line.strip().startswith(name + " "))
        assert "secret by content" in line and why in line, line
    assert "lz_settings.json" in report and "junk" in report  # --explain lists junk too


def test_include_still_ships_a_secret_looking_file(lz_env, tmp_path: Path) -> None:
    project = make_project(
        tmp_path, {"dev": {"app": "app:app", "include": ["secrets.json", "config/google.json"]}},
        {"app.py": APP, "secrets.json": "{}", "config/google.json": json.dumps({"private_key": PEM}),
         "other/credentials.json": "{}"})
    out = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out))
    assert result.returncode == 0, result.stderr
    names = _zip_names(out)
    assert {"secrets.json", "config/google.json"} <= names and "other/credentials.json" not in names


def test_a_symlink_leaving_the_project_fails_the_build_naming_it_even_with_include(
        lz_env, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0")
    (outside / "lib").mkdir()
    (outside / "lib" / "shared.py").write_text("X = 1\n")
    project = make_project(tmp_path, {"dev": {"app": "app:app"},
                                      "forced": {"extends": "dev", "include": ["passwd"]}}, {"app.py": APP})
    os.symlink(outside / "passwd", project / "passwd")
    os.symlink(outside / "lib", project / "lib")
    for stage in ("dev", "forced"):
        out = tmp_path / f"{stage}.zip"
        result = lz(lz_env, "package", stage, "--project", str(project), "-o", str(out))
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert f"passwd -> {(outside / 'passwd').resolve()}" in result.stderr
        assert f"lib -> {(outside / 'lib').resolve()}" in result.stderr
        assert "copy the file or folder into the project" in result.stderr and "remove the link" in result.stderr
        assert not out.exists()
    # an exclude leaves the link out (nothing read through it), and the build goes on
    (project / "lz_settings.json").write_text(json.dumps({"dev": {"app": "app:app", "exclude": ["passwd", "lib"]}}))
    out = tmp_path / "excluded.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out), "--explain")
    assert result.returncode == 0, result.stderr
    assert not {"passwd", "lib/shared.py"} & _zip_names(out)
    assert 'excluded by setting: exclude "passwd"' in result.stderr


def test_symlinks_inside_the_project_ship_their_target_and_loops_end(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {
        "app.py": ("from pathlib import Path\n\ndef app(environ, start_response):\n"
                   "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
                   "    here = Path(__file__).parent\n"
                   "    return [(here / 'message.txt').read_bytes() + (here / 'static/css/site.css').read_bytes()]\n"),
        "data/greeting.txt": "hello ",
        "assets/css/site.css": "body{}",
        "cfg/real.json": "{}",
    })
    os.symlink("data/greeting.txt", project / "message.txt")
    os.symlink("assets", project / "static")  # a folder link: walked once, as static/
    os.symlink("../assets", project / "assets" / "again")  # a loop: assets/again/again/...
    os.symlink(".", project / "here")  # a loop onto the project itself
    os.symlink("assets", project / "static2")  # the same folder through a second link
    os.symlink("missing.txt", project / "broken.txt")
    os.makedirs(project / ".ssh")
    (project / ".ssh" / "id_rsa").write_text("key")
    os.symlink(".ssh/id_rsa", project / "deploy_key_copy")  # a link to a secret stays out

    out = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out), "--explain")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert zf.read("message.txt") == b"hello "  # the target's content, not a link
        assert zf.read("static/css/site.css") == b"body{}"
    assert {"assets/css/site.css", "cfg/real.json"} <= names
    assert not any(n.startswith(("here/", "static2/", "assets/again/", "static/again/")) for n in names), names
    assert "deploy_key_copy" not in names and "broken.txt" not in names
    lines = result.stderr.splitlines()

    def why(path: str) -> str:
        return next(line for line in lines if line.strip().split(" ")[0] == path)

    assert "symlink: loops back to" in why("here/")
    assert "symlink: loops back to assets/" in why("assets/again/")
    assert "symlink: the same folder as static/" in why("static2/")
    assert "symlink: broken" in why("broken.txt")
    assert "secret by name" in why("deploy_key_copy")

    python = need_python("3.13")
    with LocalFunction(out, "3.13", python=python) as fn:
        answer = fn.invoke(make("http_v2"))
        assert answer.ok, (answer.describe(), answer.log)
        assert answer.result["body"] == "hello body{}"


def test_fifo_and_cache_folder_in_the_project_are_left_out(tmp_path: Path, monkeypatch) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": APP, "cache/deps/x.json": "{}"})
    os.mkfifo(project / "pipe")  # reading it would block the build for good
    monkeypatch.setenv("LZ_CACHE_DIR", str(project / "cache"))
    found = collect(project, [], [])
    shipped = {arc for arc, _ in found.files}
    assert shipped == {"app.py"}
    reasons = {item.path: item.reason for item in found.left_out}
    assert reasons["pipe"] == "not a regular file" and reasons["cache/"] == "lz's cache"


@pytest.mark.parametrize("text", [
    '{"private_key": "-----BEGIN PRIVATE KEY-----\\nREPLACE_ME\\n-----END PRIVATE KEY-----"}',
    "aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",  # AWS's documented example
    '{"client_secret": "changeme-changeme-123"}',
    '{"secret_key": "DJANGO_SECRET_KEY", "api_key": "%(API_KEY)s-and-more-text"}',
    '{"access_token": "https://example.com/oauth/token/endpoint1"}',
    "[db]\npassword = hunter2hunter2hunter2\n",
])
def test_content_rules_ignore_placeholders_and_references(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    assert secret_content(path) is None, text


def test_content_rules_read_only_data_formats(tmp_path: Path) -> None:
    code = tmp_path / "keys.py"
    code.write_text(f"AWS_SECRET_ACCESS_KEY = '{AWS_SECRET}'\n")
    data = tmp_path / "keys.yml"
    data.write_text(code.read_text())
    assert secret_content(code) is None  # code is never dropped for its content
    assert secret_content(data) == "an AWS secret access key (line 1)"
