"""Settings `domain`, `auth` and `throttle` (issue 12): what each front can do, and errors that
say which front can."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lz.cli.settings import SettingsError, load

JWT = {"jwt": {"issuer": "https://issuer.example.com/", "audience": ["client"]}}


def stage(tmp_path: Path, **values):
    (tmp_path / "lz_settings.json").write_text(json.dumps({"dev": {"app": "app:app", **values}}))
    return load(tmp_path, "dev")


def error(tmp_path: Path, **values) -> str:
    with pytest.raises(SettingsError) as caught:
        stage(tmp_path, **values)
    return str(caught.value)


@pytest.mark.parametrize("values, says", [
    ({"auth": JWT, "http": "rest_api"},
     '"auth" jwt needs "http" "http_api", and "http" is "rest_api": change "http", or pick an auth mode the '
     "front has (rest_api takes api_keys)"),
    ({"auth": JWT, "http": "function_url"}, '"auth" jwt needs "http" "http_api", and "http" is "function_url"'),
    ({"auth": "aws_iam", "http": "rest_api"}, '"auth" aws_iam needs "http" "http_api" or "function_url"'),
    ({"auth": {"api_keys": {}}, "http": "http_api"},
     '"auth" api_keys needs "http" "rest_api", and "http" is "http_api": change "http", or pick an auth mode '
     "the front has (http_api takes jwt, aws_iam)"),
    ({"auth": "aws-iam"}, '"auth" must be "aws_iam" or null or an object, got "aws-iam" (did you mean "aws_iam"?)'),
    ({"auth": {"jwt": JWT["jwt"], "api_keys": {}}}, '"auth" must hold exactly one of jwt, api_keys, got jwt, api_keys'),
    ({"auth": {"jwtt": {}}}, '"auth" has an unknown key "jwtt" (did you mean "jwt"?)'),
    ({"auth": {"jwt": {"issuer": "http://x", "audience": []}}}, '"issuer" must look like an https:// issuer URL'),
    ({"auth": {"api_keys": {"quota": {"limit": 5, "period": "YEAR"}}}, "http": "rest_api"},
     '"period" must be one of "DAY", "WEEK", "MONTH", got "YEAR"'),
    ({"throttle": {"rate": 10, "burst": 5}, "http": "function_url"},
     '"throttle" is set on the API stage, and "http" is "function_url"'),
    ({"throttle": {"rate": 10}}, '"throttle" needs "burst"'),
    ({"throttle": {"rate": "fast", "burst": 1}}, '"rate" must be a number, got a string "fast"'),
    ({"domain": {"base_path": "v1"}}, '"domain" needs "name"'),
    ({"domain": {"name": "api example.com"}}, '"name" must look like a host name like api.example.com'),
    ({"domain": {"name": "api.example.com", "certificate_arn": "arn:aws:iam::1:role/x"}},
     '"certificate_arn" must look like an ACM certificate ARN'),
    ({"domain": {"nmae": "api.example.com"}}, 'unknown key "nmae" (did you mean "name"?)'),
    ({"domain": {"name": "api.example.com"}, "http": False}, '"domain" needs an HTTP front, and "http" is false'),
    ({"domain": {"name": "api.example.com"}, "http": "function_url", "url_auth": "AWS_IAM"},
     '"domain" on a Function URL puts CloudFront in front of it'),
    ({"domain": {"name": "api.example.com", "base_path": "v1"}, "adapter": {"base_path": "/v2"}},
     '"domain"."base_path" is "v1" and "adapter"."base_path" is "v2"'),
])
def test_front_settings_a_front_cannot_do_are_refused(tmp_path: Path, values: dict, says: str) -> None:
    assert says in error(tmp_path, **values)


def test_each_auth_mode_on_each_front_it_fits(tmp_path: Path) -> None:
    assert stage(tmp_path, auth=JWT).auth == JWT
    assert stage(tmp_path, auth="aws_iam").url_auth == "NONE"  # an HTTP API: IAM on its routes
    assert stage(tmp_path, auth="aws_iam", http="function_url").url_auth == "AWS_IAM"  # the URL's own
    keys = {"api_keys": {"quota": {"limit": 1000, "period": "MONTH"}}}
    assert stage(tmp_path, auth=keys, http="rest_api", throttle={"rate": 2.5, "burst": 5}).throttle["rate"] == 2.5


def test_the_domain_base_path_is_the_adapter_s_and_cloudfront_s_host_is_trusted(tmp_path: Path) -> None:
    assert stage(tmp_path, domain={"name": "api.example.com", "base_path": "/v1/"}).adapter == {"base_path": "/v1"}
    assert stage(tmp_path, domain={"name": "api.example.com", "base_path": "v1"},
                 adapter={"base_path": "v1"}).adapter == {"base_path": "/v1"}
    url = stage(tmp_path, domain={"name": "API.example.com"}, http="function_url")
    assert url.adapter == {"forwarded_host": "api.example.com"}
