"""What the app sees: paths, stages, query strings, headers, client address and bodies, for every
source and both front ends (issue items 1-6)."""

from __future__ import annotations

import hashlib
import json
import os
from urllib.parse import parse_qsl

import pytest

from tests.builders import KINDS, Context, make, response_body
from tests.conftest import echo, echo_handler

V2_KINDS = ("http_v2", "function_url")


# 1. Paths -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_escapes_are_decoded_exactly_once_and_trailing_slash_is_kept(front: str, kind: str) -> None:
    seen = echo(front, make(kind, path="/a%2Fb/caf%C3%A9/%2541/"))
    assert seen["path"] == "/a/b/café/%41/"


@pytest.mark.parametrize("kind", V2_KINDS)
def test_v2_uses_raw_path_not_request_context_path(front: str, kind: str) -> None:
    event = make(kind, path="/files/a%2Fb")
    event["requestContext"]["http"]["path"] = "/files/a/b"  # what AWS puts there: already decoded
    seen = echo(front, event)
    assert seen["path"] == "/files/a/b"
    if front == "asgi":
        assert seen["raw_path"] == "/files/a%2Fb"  # the escape survives where ASGI keeps it


def test_asgi_raw_path_includes_the_stage_prefix_as_the_client_sent_it() -> None:
    seen = echo("asgi", make("http_v2", path="/x%20y", stage="dev"))
    assert seen["raw_path"] == "/dev/x%20y"
    assert seen["root_path"] == "/dev" and seen["script_name"] == "/dev"


def test_rest_uses_path_even_for_nested_proxy_resources(front: str) -> None:
    event = make("rest_v1", path="/user/session")
    event["resource"] = "/user/{proxy+}"
    event["pathParameters"] = {"proxy": "session"}
    event["requestContext"]["path"] = "/dev/user/session"
    assert echo(front, event)["path"] == "/user/session"


# 2. Stage and base path ---------------------------------------------------------------------------

def test_rest_on_execute_api_host_puts_stage_in_script_name(front: str) -> None:
    seen = echo(front, make("rest_v1", path="/hello", stage="dev"))
    assert (seen["script_name"], seen["path"]) == ("/dev", "/hello")


def test_rest_on_custom_domain_has_no_stage_prefix(front: str) -> None:
    seen = echo(front, make("rest_v1", path="/hello", stage="dev", host="api.example.com"))
    assert (seen["script_name"], seen["path"]) == ("", "/hello")


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2", "alb_multi"])
def test_configured_base_path_is_stripped_for_custom_domains(front: str, kind: str) -> None:
    event = make(kind, path="/v1/hello", host="api.example.com")
    seen = echo(front, event, base_path="/v1/")
    assert (seen["script_name"], seen["path"]) == ("/v1", "/hello")
    # a path that merely starts with the same letters is not under the base path
    seen = echo(front, make(kind, path="/v10/hello", host="api.example.com"), base_path="v1")
    assert (seen["script_name"], seen["path"]) == ("", "/v10/hello")


def test_strip_stage_off_keeps_everything_in_path(front: str) -> None:
    seen = echo(front, make("http_v2", path="/hello", stage="dev"), strip_stage=False)
    assert (seen["script_name"], seen["path"]) == ("", "/dev/hello")
    seen = echo(front, make("rest_v1", path="/hello", stage="dev"), strip_stage=False)
    assert (seen["script_name"], seen["path"]) == ("", "/hello")


@pytest.mark.parametrize("kind", ["http_v2", "http_v1"])
def test_named_http_api_stage_moves_from_path_to_script_name(front: str, kind: str) -> None:
    seen = echo(front, make(kind, path="/hello/", stage="dev"))
    assert (seen["script_name"], seen["path"]) == ("/dev", "/hello/")
    seen = echo(front, make(kind, path="/hello", stage="$default"))
    assert (seen["script_name"], seen["path"]) == ("", "/hello")


def test_stage_root_alone_is_an_empty_path(front: str) -> None:
    event = make("http_v2", stage="dev")
    event["rawPath"] = "/dev"
    seen = echo(front, event)
    assert (seen["script_name"], seen["path"]) == ("/dev", "")
    event["rawPath"] = "/devices"  # not the stage segment
    seen = echo(front, event)
    assert (seen["script_name"], seen["path"]) == ("", "/devices")


def test_function_url_never_has_a_stage(front: str) -> None:
    event = make("function_url", path="/dev/hello")
    event["requestContext"]["stage"] = "dev"
    seen = echo(front, event)
    assert (seen["script_name"], seen["path"]) == ("", "/dev/hello")


# 3. Query strings ---------------------------------------------------------------------------------

TRICKY = [("a", "1"), ("a", "2"), ("q", "x+y & z=w"), ("sp ace", "ü ö/?#%"), ("empty", "")]


@pytest.mark.parametrize("kind", KINDS)
def test_query_values_survive_every_source(front: str, kind: str) -> None:
    pairs = TRICKY if kind != "alb_single" else [p for p in TRICKY if p[0] != "a"] + [("a", "2")]
    seen = echo(front, make(kind, query=pairs))
    assert parse_qsl(seen["query"], keep_blank_values=True) == pairs


def test_rest_values_are_reencoded_never_left_raw(front: str) -> None:
    seen = echo(front, make("rest_v1", query=[("q", "a+b&c=d")]))
    assert seen["query"] == "q=a%2Bb%26c%3Dd"


@pytest.mark.parametrize("kind", ["alb_multi", "alb_single"])
def test_alb_values_are_not_encoded_twice(front: str, kind: str) -> None:
    event = make(kind)
    key = "multiValueQueryStringParameters" if kind == "alb_multi" else "queryStringParameters"
    event[key] = {"q": ["a%20b%2Bc"] if kind == "alb_multi" else "a%20b%2Bc"}
    assert echo(front, event)["query"] == "q=a%20b%2Bc"


@pytest.mark.parametrize("kind", V2_KINDS)
def test_v2_raw_query_string_passes_byte_for_byte(front: str, kind: str) -> None:
    event = make(kind)
    event["rawQueryString"] = "a=1&a=2&bad=%zz&flag&x=%2B+y"
    assert echo(front, event)["query"] == "a=1&a=2&bad=%zz&flag&x=%2B+y"


# 4. Request headers -------------------------------------------------------------------------------

def _header(seen: dict, front: str, name: str) -> str | None:
    if front == "wsgi":
        special = {"content-type": "content_type", "content-length": "content_length"}
        if name in special:
            return seen[special[name]]
        return seen["headers"].get("HTTP_" + name.upper().replace("-", "_"))
    return seen["headers"].get(name)


@pytest.mark.parametrize("kind", ["rest_v1", "http_v1", "alb_multi"])
def test_repeated_headers_are_joined(front: str, kind: str) -> None:
    event = make(kind, headers=[("X-Multi", "a"), ("X-Multi", "b"),
                                ("Cookie", "a=1"), ("Cookie", "b=2")])
    seen = echo(front, event)
    assert _header(seen, front, "x-multi") == "a, b"
    assert _header(seen, front, "cookie") == "a=1; b=2"


@pytest.mark.parametrize("kind", V2_KINDS)
def test_v2_cookies_array_becomes_one_cookie_header(front: str, kind: str) -> None:
    seen = echo(front, make(kind, headers=[("Cookie", "a=1; b=2"), ("Cookie", "c=3")]))
    assert _header(seen, front, "cookie") == "a=1; b=2; c=3"


@pytest.mark.parametrize("kind", KINDS)
def test_host_content_type_and_length_reach_their_cgi_names(front: str, kind: str) -> None:
    event = make(kind, method="POST", headers=[("Content-Type", "application/json"),
                                               ("Content-Length", "999")], body=b'{"a": 1}')
    seen = echo(front, event)
    assert _header(seen, front, "content-type") == "application/json"
    if front == "wsgi":
        assert seen["content_length"] == "8"  # what the app can actually read
        assert "HTTP_CONTENT_TYPE" not in seen["headers"]
        assert "HTTP_CONTENT_LENGTH" not in seen["headers"]
    assert _header(seen, front, "host")
    assert seen["body_len"] == 8


def test_header_names_with_underscores_cannot_impersonate_dashed_ones() -> None:
    event = make("rest_v1", headers=[("X-Forwarded-For", "203.0.113.9"),
                                     ("X_Forwarded_For", "6.6.6.6"), ("X-Real", "1")])
    seen = echo("wsgi", event)
    assert seen["headers"]["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    assert seen["headers"]["HTTP_X_REAL"] == "1"


@pytest.mark.parametrize("kind", KINDS)
def test_header_values_are_their_own_each_time_the_same_names_come_back(front: str, kind: str) -> None:
    # The second event has the same header names, so it takes the remembered translation of them.
    handler = echo_handler(front)
    for value in ("one", "two"):
        result = handler(make(kind, headers=[("X-Trace", value), ("Accept", f"text/{value}")]),
                         Context())
        seen = json.loads(response_body(result))
        if front == "asgi":
            assert seen["headers"]["x-trace"] == value
            assert seen["headers"]["accept"] == f"text/{value}"
        else:
            assert seen["headers"]["HTTP_X_TRACE"] == value
            assert seen["headers"]["HTTP_ACCEPT"] == f"text/{value}"


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2", "alb_single"])
def test_odd_header_values_are_converted_or_skipped_one_by_one(front: str, kind: str) -> None:
    event = make(kind, headers=[("X-Latin", "café"), ("X-Wide", "✓ ok"), ("X-Fold", "a\nb"),
                                ("X-Plain", "yes")])
    hmap = event["headers"]
    hmap["X-Number"] = 7  # not text: skipped, the rest still arrive
    if "multiValueHeaders" in event:
        event["multiValueHeaders"]["X-Number"] = [7]
    seen = echo(front, event)
    if front == "asgi":
        got = seen["headers"]  # decoded as latin-1 by the echo app
        assert got["x-latin"] == "café"
        assert got["x-wide"] == "✓ ok".encode().decode("latin-1")
        assert got["x-fold"] == "a\nb"
        assert "x-number" not in got
    else:
        got = seen["headers"]  # PEP 3333 native strings: bytes as latin-1 code points
        assert got["HTTP_X_LATIN"] == "café"
        assert got["HTTP_X_WIDE"] == "✓ ok".encode().decode("latin-1")
        assert got["HTTP_X_FOLD"] == "a\nb"
        assert "HTTP_X_NUMBER" not in got
    assert _header(seen, front, "x-plain") == "yes"


@pytest.mark.parametrize("kind", ["http_v2", "alb_single", "rest_v1", "alb_multi"])
def test_names_differing_only_in_case_are_joined_in_wsgi_and_kept_apart_in_asgi(
    front: str, kind: str
) -> None:
    event = make(kind)
    if "multiValueHeaders" in event:
        event["multiValueHeaders"].update({"X-Dup": ["a"], "x-dup": ["b"]})
    if event.get("headers") is not None:
        event["headers"].update({"X-Dup": "a", "x-dup": "b"})
    seen = echo(front, event)
    if front == "wsgi":
        assert seen["headers"]["HTTP_X_DUP"] in ("a, b", "b, a")
    else:
        assert seen["headers"]["x-dup"] == "a, b"  # the echo app joins the two pairs it got


# 5. Client address --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rest_v1", "http_v1", "http_v2", "function_url"])
def test_client_comes_from_request_context_never_from_x_forwarded_for(front: str, kind: str) -> None:
    event = make(kind, source_ip="198.51.100.23", headers=[("X-Forwarded-For", "6.6.6.6")])
    assert echo(front, event)["remote_addr"] == "198.51.100.23"


@pytest.mark.parametrize("kind", ["alb_multi", "alb_single"])
def test_alb_client_is_the_right_most_forwarded_entry(front: str, kind: str) -> None:
    event = make(kind, source_ip="198.51.100.23")
    assert echo(front, event)["remote_addr"] == "198.51.100.23"


def test_missing_client_address_is_none_in_asgi() -> None:
    event = make("http_v2")
    del event["requestContext"]["http"]["sourceIp"]
    assert echo("asgi", event)["client"] is None


# 6. Bodies ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_base64_bodies_are_decoded_exactly_once(front: str, kind: str) -> None:
    data = b"aGVsbG8="  # itself valid base64: decoding twice would give b"hello"
    seen = echo(front, make(kind, method="POST", body=data, binary=True))
    assert seen["body_sha256"] == hashlib.sha256(data).hexdigest()
    seen = echo(front, make(kind, method="POST", body=data, binary=False))
    assert seen["body_sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
def test_empty_and_missing_bodies(front: str, kind: str) -> None:
    event = make(kind, method="POST")
    event.pop("body", None)
    assert echo(front, event)["body_len"] == 0
    event["body"] = None
    assert echo(front, event)["body_len"] == 0
    event["body"] = ""
    assert echo(front, event)["body_len"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_one_megabyte_binary_upload_arrives_intact(front: str, kind: str) -> None:
    data = os.urandom(1024 * 1024)
    event = make(kind, method="PUT", body=data, headers=[("Content-Type", "application/octet-stream")])
    seen = echo(front, event)
    assert seen["body_len"] == len(data)
    assert seen["body_sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
def test_invalid_base64_body_is_a_400_that_says_so(front: str, kind: str, caplog) -> None:
    event = make(kind, method="POST")
    event["body"], event["isBase64Encoded"] = "not base64!!", True
    result = echo_handler(front)(event, Context("req-bad64"))
    assert result["statusCode"] == 400
    assert b"not valid base64" in response_body(result)
    assert "req-bad64" in caplog.text


# 11. The raw event and context reach the app ------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_event_and_context_are_reachable(front: str, kind: str) -> None:
    seen = echo(front, make(kind))
    assert seen["has_event"] is True
    assert seen["request_id"] == "req-0001"


def test_scheme_and_server_come_from_forwarded_headers(front: str) -> None:
    seen = echo(front, make("rest_v1", path="/x"))
    assert seen["scheme"] == "https"
    assert seen["server"][0] == "1234567890.execute-api.us-east-1.amazonaws.com"
    assert str(seen["server"][1]) == "443"


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_header_value_arrives_empty(front: str, kind: str) -> None:
    seen = echo(front, make(kind, headers=[("X-Empty", ""), ("X-Full", "1")]))
    assert _header(seen, front, "x-empty") == ""
    assert _header(seen, front, "x-full") == "1"


@pytest.mark.parametrize("kind", ["rest_v1", "http_v1", "alb_multi"])
@pytest.mark.parametrize("repeats", [
    [("Cache-Control", "no-cache"), ("Cache-Control", "max-age=0")],
    [("Cookie", "a=1"), ("Cookie", "b=2"), ("X-Multi", "a"), ("X-Multi", "b"), ("X-Multi", "c")],
    [("Accept", "text/html"), ("Accept", "✓ wide")],  # joined, then made a native string
])
def test_a_repeated_header_is_joined_on_the_fast_path_as_on_the_careful_one(kind: str, repeats) -> None:
    """A multi-value event with a header sent twice stays on build_environ's and build_scope's
    fast loops; what they give is what the careful loops give for the same map."""
    from lz.adapter.asgi import _latin1, build_scope
    from lz.adapter.codec import join_values
    from lz.adapter.events import Options, detect
    from lz.adapter.environ import _header_environ, build_environ

    event = make(kind, headers=[("Accept-Language", "en"), *repeats, ("X-Last", "z")])
    for _ in range(2):  # the second time every name and pair is remembered: the fast loops
        request = detect(event).parse(event, Context(), Options())
        environ = build_environ(request)
        got = {k: v for k, v in environ.items() if k.startswith("HTTP_") or k == "CONTENT_TYPE"}
        assert got == _header_environ(request.headers)
        scope = build_scope(request, None)
        assert scope["headers"] == [(name.lower().encode("latin-1"), _latin1(join_values(name, values)))
                                    for name, values in request.headers.items()]
    name, value = repeats[0]
    joined = ("; " if name == "Cookie" else ", ").join(v for n, v in repeats if n == name)
    assert environ["HTTP_" + name.upper().replace("-", "_")] == joined.encode().decode("latin-1")


@pytest.mark.parametrize("kind", ["rest_v1", "alb_multi"])
@pytest.mark.parametrize("odd", ["abc", "a", "", {"a": "1", "b": "2"}, None, 5, [], [""],
                                 ["a", None], [None, "b"], ["x", "y", "z"], ["✓", "b"]])
@pytest.mark.parametrize("name", ["X-Odd", "Cookie", "cookie"])
def test_an_odd_multi_value_gives_the_fast_loop_what_the_careful_one_gives(kind: str, odd, name: str) -> None:
    """Whatever a multi-value map holds for a header (a string, a map, nothing, a list with
    values that are not text), build_environ's fast loop answers what _header_environ does.
    (Not checked: a map with one key, which the fast loop reads as that key, text the invoker
    chose, as join_values and the ASGI scope do, where _header_environ skips it; the hot loop
    does not test each value's type for a shape no front sends.)"""
    from lz.adapter.events import Options, detect
    from lz.adapter.environ import _header_environ, build_environ

    event = make(kind, headers=[("Accept", "text/html"), ("X-Last", "z")])
    event["multiValueHeaders"][name] = odd
    for _ in range(2):  # the second time every name is remembered: the fast loop
        request = detect(event).parse(event, Context(), Options())
        environ = build_environ(request)
        got = {k: v for k, v in environ.items() if k.startswith("HTTP_") or k == "CONTENT_TYPE"}
        assert got == _header_environ(request.headers)


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2", "alb_multi", "function_url"])
@pytest.mark.parametrize("count", [4, 16, 21, 30, 50])
def test_an_environ_is_built_without_growing_its_table(kind: str, count: int) -> None:
    """The environ is a copy of a template with room for its headers (environ._roomy): the
    narrow one for up to 21, which most events bring, the wide one for up to 56 (browsers
    behind CloudFront send 15 to 30). Growing a dict's table (a new one allocated, every key
    moved) cost more than all of a request's header stores. CPython's dict sizes."""
    import sys

    from lz.adapter.environ import _NARROW, _TEMPLATE, _WIDE, build_environ, environ_v2
    from lz.adapter.events import Options, detect

    event = make(kind, headers=[("Cookie", "a=1"), *[(f"X-Header-{i}", "v") for i in range(count)]])
    source = detect(event)
    total = len(source.parse(event, Context(), Options()).headers)  # the front's own ones too
    template = _TEMPLATE if total <= _NARROW else _WIDE
    assert (template is _TEMPLATE) is (count <= 16) or count == 21  # the fronts add 1 to 5
    for _ in range(2):  # the second time every name is remembered: the fast loops
        request = source.parse(event, Context(), Options())
        built = [build_environ(request)]
        if source.payload_v2:
            built.append(environ_v2(event, Context(), Options(), source))
        for environ in built:
            assert sum(key.startswith("HTTP_X_HEADER_") for key in environ) == count
            assert sys.getsizeof(environ) == sys.getsizeof(template)


@pytest.mark.parametrize("kind", ["rest_v1", "alb_multi"])
def test_a_repeated_header_with_no_text_value_is_skipped_and_the_rest_arrive(front: str, kind: str) -> None:
    event = make(kind, headers=[("X-Before", "1"), ("X-After", "2")])
    event["multiValueHeaders"]["X-Odd"] = [7, 8]
    event["multiValueHeaders"]["X-Empty"] = []
    event["multiValueHeaders"]["X-Mixed"] = ["a", 9, "b"]
    seen = echo(front, event)
    assert _header(seen, front, "x-before") == "1" and _header(seen, front, "x-after") == "2"
    assert _header(seen, front, "x-mixed") == "a, b"
    assert _header(seen, front, "x-odd") is None and _header(seen, front, "x-empty") is None
