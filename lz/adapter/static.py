"""Static files served by the function itself, in front of the app: Django's collected files (or a
folder of the project) under one URL prefix, the way WhiteNoise serves them.

Only a stage with static files pays for this module: the generated entry (lz_handler.py) imports it
when the bundle ships a static folder, and every other request goes straight to the app after one
str.startswith. A request under the prefix never reaches the app:

- GET and HEAD only (405 otherwise); the file is read whole (a bundle's files are under Lambda's
  6 MB response limit, which `lz package` checks) and answered with its Content-Type,
  Content-Length, a strong ETag (a hash of its bytes, remembered per file) and 304 on a matching
  If-None-Match. There is no Last-Modified: a bundle is byte-identical from build to build, every
  zip entry is dated 1980, so a date would say nothing true about the content.
- Cache-Control: a year and `immutable` for the names Django's ManifestStaticFilesStorage hashed
  (its staticfiles.json lists them; the name changes when the content does), a minute otherwise.
- A `.br` or `.gz` twin collected next to a file is sent to clients that accept it
  (Content-Encoding, Vary: Accept-Encoding).
- Refused (400): `..` or `.` segments, empty segments, backslashes, NUL, encoded slashes or
  backslashes in the raw path; not found (404): anything that is not a regular file under the folder,
  a symlink anywhere on the way included.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"
MANIFEST = "staticfiles.json"  # Django's ManifestStaticFilesStorage: {"paths": {name: hashed name}}
FOLDER = "lz_static"  # the static folder's name in a bundle, next to lz_handler.py

# The web's common types, so that answers do not depend on the host's /etc/mime.types; text gets
# a charset (collected CSS and JS are UTF-8 as Django writes them).
TYPES = {
    "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
    "mjs": "text/javascript; charset=utf-8", "json": "application/json", "map": "application/json",
    "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8", "xml": "application/xml", "csv": "text/csv; charset=utf-8",
    "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "gif": "image/gif", "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon",
    "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject", "pdf": "application/pdf", "wasm": "application/wasm",
    "webmanifest": "application/manifest+json", "mp4": "video/mp4", "webm": "video/webm",
    "mp3": "audio/mpeg", "zip": "application/zip",
}
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
_REFUSED_RAW = ("%2f", "%5c", "%00")

Response = tuple[int, list[tuple[str, str]], bytes]


def content_type(name: str) -> str:
    """The Content-Type of a file by its extension (the table, then mimetypes, then bytes)."""
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    known = TYPES.get(ext)
    if known:
        return known
    import mimetypes

    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed is None:
        return "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


def _text(status: int, message: str, extra: list[tuple[str, str]] | None = None) -> Response:
    body = (message + "\n").encode()
    return status, [("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))), *(extra or [])], body


class StaticFiles:
    """The files under `root`, answered for paths under `url` (e.g. "/static/")."""

    def __init__(self, root: str, url: str = "/static/") -> None:
        if not url.startswith("/") or not url.endswith("/"):
            raise ValueError(f"the static URL must start and end with '/', got {url!r}")
        self.root = os.path.realpath(root)
        self.prefix = url
        self._etags: dict[tuple[str, int, int], str] = {}
        self._hashed: frozenset[str] | None = None

    def hashed(self) -> frozenset[str]:
        """The names ManifestStaticFilesStorage gave a content hash (read once, on first use)."""
        if self._hashed is None:
            import json

            try:
                with open(os.path.join(self.root, MANIFEST), "rb") as fh:
                    paths = json.load(fh).get("paths") or {}
                self._hashed = frozenset(v for v in paths.values() if isinstance(v, str))
            except (OSError, ValueError, AttributeError):
                self._hashed = frozenset()
        return self._hashed

    def _relative(self, path: str, raw: str) -> str | None:
        """The file's name under the root, or None when the path is refused."""
        lowered = raw.lower()
        if any(bad in lowered for bad in _REFUSED_RAW):
            return None
        name = path[len(self.prefix):]
        if not name or "\x00" in name or "\\" in name:
            return None
        parts = name.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        return name

    def _read(self, full: str) -> tuple[bytes, os.stat_result] | None:
        """A regular file's bytes, never through a symlink (anywhere on the way)."""
        if os.path.realpath(full) != full:
            return None
        try:
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                return fh.read(), info
        finally:
            os.close(fd)

    def _etag(self, full: str, data: bytes, info: os.stat_result) -> str:
        key = (full, info.st_size, info.st_mtime_ns)
        tag = self._etags.get(key)
        if tag is None:
            import hashlib

            tag = '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'
            if len(self._etags) < 65536:  # the folder's own files: a bounded set
                self._etags[key] = tag
        return tag

    def respond(self, method: str, path: str, raw: str, accept_encoding: str,
                if_none_match: str) -> Response:
        """The answer to a request for `path` (decoded, under the prefix); `raw` as the client sent it."""
        if method not in ("GET", "HEAD"):
            return _text(405, "Method Not Allowed: static files answer GET and HEAD",
                         [("Allow", "GET, HEAD")])
        name = self._relative(path, raw)
        if name is None:
            return _text(400, "Bad Request: not a static file name")
        full = os.path.join(self.root, *name.split("/"))
        variants = [(coding, suffix) for coding, suffix in ENCODINGS
                    if os.path.isfile(full + suffix)]
        chosen = None
        if variants and accept_encoding:
            accepted = _accepted(accept_encoding)
            chosen = next(((c, s) for c, s in variants if c in accepted), None)
        found = self._read(full + chosen[1]) if chosen else None
        if found is None:
            chosen = None
            found = self._read(full)
        if found is None:
            return _text(404, "Not Found")
        data, info = found
        etag = self._etag(full + (chosen[1] if chosen else ""), data, info)
        cache = IMMUTABLE if name in self.hashed() else SHORT
        headers = [("ETag", etag), ("Cache-Control", cache)]
        if variants:
            headers.append(("Vary", "Accept-Encoding"))
        if if_none_match and _matches(if_none_match, etag):
            return 304, headers, b""
        headers += [("Content-Type", content_type(name)), ("Content-Length", str(len(data))),
                    ("X-Content-Type-Options", "nosniff")]
        if chosen:
            headers.append(("Content-Encoding", chosen[0]))
        return 200, headers, b"" if method == "HEAD" else data


def _accepted(header: str) -> set[str]:
    """The codings an Accept-Encoding allows (q=0 refuses one)."""
    out = set()
    for item in header.lower().split(","):
        coding, _, params = item.strip().partition(";")
        q = params.strip()
        if q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        out.add(coding.strip())
    if "*" in out:
        out.update(coding for coding, _ in ENCODINGS)
    return out


def _matches(header: str, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): W/ ignored, * matches."""
    for item in header.split(","):
        item = item.strip()
        if item == "*" or item.removeprefix("W/") == etag:
            return True
    return False


_REASONS = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
            405: "Method Not Allowed"}


class StaticWSGI:
    """A WSGI app answering the static prefix itself and passing every other request to `app`."""

    def __init__(self, app: Callable[..., Any], files: StaticFiles) -> None:
        self.app = app
        self.files = files
        self.prefix = files.prefix

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO") or ""
        if not path.startswith(self.prefix):
            return self.app(environ, start_response)
        try:  # WSGI's native strings carry the path's bytes as latin-1
            decoded = path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            decoded = "\x00"  # refused
        event = environ.get("aws.event")
        raw = ""
        if isinstance(event, dict):
            raw = event.get("rawPath") or event.get("path") or ""
        status, headers, body = self.files.respond(
            environ.get("REQUEST_METHOD", "GET"), decoded, raw if isinstance(raw, str) else "",
            environ.get("HTTP_ACCEPT_ENCODING", ""), environ.get("HTTP_IF_NONE_MATCH", ""))
        start_response(f"{status} {_REASONS[status]}", headers)
        return [body]


class StaticASGI:
    """An ASGI app answering the static prefix itself and passing everything else to `app`."""

    def __init__(self, app: Callable[..., Any], files: StaticFiles) -> None:
        self.app = app
        self.files = files
        self.prefix = files.prefix

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any],
                       send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        root = scope.get("root_path") or ""
        path = scope.get("path") or ""
        if root and path.startswith(root):
            path = path[len(root):]
        if not path.startswith(self.prefix):
            return await self.app(scope, receive, send)
        wanted: dict[bytes, str] = {}
        for key, value in scope.get("headers") or ():
            if key in (b"accept-encoding", b"if-none-match"):
                wanted[key] = value.decode("latin-1")
        raw = (scope.get("raw_path") or b"").decode("latin-1")
        status, headers, body = self.files.respond(
            scope.get("method", "GET"), path, raw, wanted.get(b"accept-encoding", ""),
            wanted.get(b"if-none-match", ""))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]})
        await send({"type": "http.response.body", "body": body})


def serve_static(app: Callable[..., Any], root: str, url: str = "/static/",
                 django: bool = False) -> Callable[..., Any]:
    """`app` behind the static files under `root`, answered for paths under `url`: a WSGI app
    for a WSGI app, an ASGI app for an ASGI one (so `adapt` detects the same interface).

    `django`: the files are the app's collectstatic, so its STATIC_ROOT becomes `root`, where
    ManifestStaticFilesStorage reads staticfiles.json to turn names into hashed names (the
    settings' own STATIC_ROOT is a folder of the build machine, or nowhere)."""
    from . import is_asgi

    files = StaticFiles(root, url)
    if django:
        django_static_root(files.root)
    return StaticASGI(app, files) if is_asgi(app) else StaticWSGI(app, files)


def django_static_root(root: str) -> None:
    """Point the imported Django's STATIC_ROOT at `root`, the bundle's copy of what collectstatic
    wrote: ManifestStaticFilesStorage reads staticfiles.json there (when the files are in S3, the
    bundle ships that one file) to link hashed names."""
    import sys

    conf = sys.modules.get("django.conf")
    if conf is not None:
        conf.settings.STATIC_ROOT = root
