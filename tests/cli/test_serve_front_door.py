"""`lz serve` with the front door's settings (issue 12): the domain's base_path and the JWT
authorizer emulated from --auth-token-claims, through the real Lambda event path."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import make_project
from tests.cli.serve_support import Server

APP = '''
import lz
from flask import Flask, jsonify, redirect, request, url_for

app = Flask(__name__)


@app.get("/go")
def go():
    return redirect(url_for("who"))


@app.get("/who")
def who():
    return jsonify(claims=lz.auth.claims(request.environ), user=request.environ.get("REMOTE_USER"),
                   root=request.script_root, host=request.host)
'''
JWT = {"jwt": {"issuer": "https://issuer.example.com/", "audience": ["client"]}}


def test_base_path_reaches_redirects_and_claims_reach_the_view(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "auth": JWT,
                                              "domain": {"name": "api.example.com", "base_path": "v1"}}},
                           {"app.py": APP})
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps({"sub": "user-7", "email": "a@example.com"}))
    server = Server(["dev", "--project", str(project), "--no-reload", "--auth-token-claims", str(claims)])
    try:
        token = {"Authorization": "Bearer anything"}
        status, headers, _ = server.get("/v1/go", headers=token)
        assert status == 302, server.output
        assert headers["Location"].endswith("/v1/who")  # url_for carries the base path
        status, _, body = server.get("/v1/who", headers=token)
        assert status == 200, server.output
        seen = json.loads(body)
        assert seen["claims"] == {"sub": "user-7", "email": "a@example.com"}
        assert seen["user"] == "user-7" and seen["root"] == "/v1"
        status, _, body = server.get("/v1/who")  # no token: API Gateway's JWT authorizer says 401
        assert status == 401 and json.loads(body) == {"message": "Unauthorized"}
    finally:
        server.stop()


def test_a_claims_file_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": APP})
    claims = tmp_path / "claims.json"
    claims.write_text("[1, 2]")
    result = subprocess.run([sys.executable, "-m", "lz.cli.main", "serve", "dev", "--project", str(project),
                             "--auth-token-claims", str(claims)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "must hold a JSON object of claims" in result.stderr
