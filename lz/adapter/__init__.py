"""lz's runtime adapter: Lambda HTTP events in, WSGI/ASGI apps run, Lambda results out.

Standard library only, and cheap to import: the front ends are loaded on first use, so
`import lz.adapter` costs a cold start almost nothing until an app is adapted.
"""

from __future__ import annotations

from .events import UnknownEvent

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable

    from .asgi import ASGIAdapter, LifespanFailure
    from .wsgi import WSGIAdapter

__all__ = ["ASGIAdapter", "LifespanFailure", "UnknownEvent", "WSGIAdapter", "adapt", "is_asgi"]

_CO_COROUTINE = 0x80


def is_asgi(app: Any) -> bool:
    """Whether `app` is an ASGI 3 callable (an async function or an object with async __call__).

    Reads the code flags instead of using inspect, which would cost ~10 ms to import.
    """
    seen = 0
    while seen < 8:
        seen += 1
        func = getattr(app, "func", None)  # functools.partial
        if func is not None and hasattr(app, "args"):
            app = func
            continue
        wrapped = getattr(app, "__wrapped__", None)
        if wrapped is not None:
            app = wrapped
            continue
        break
    if getattr(app, "_is_coroutine_marker", None) is not None:  # inspect.markcoroutinefunction
        return True
    code = getattr(app, "__code__", None)
    if code is None:
        call = getattr(type(app), "__call__", None)
        if getattr(call, "_is_coroutine_marker", None) is not None:
            return True
        code = getattr(call, "__code__", None)
    return bool(code is not None and code.co_flags & _CO_COROUTINE)


def adapt(app: Callable[..., Any], *, interface: str = "auto", **options: Any) -> Callable[..., Any]:
    """A Lambda handler for `app`: `handler = adapt(app)`; WSGI or ASGI is detected.

    `interface` forces "wsgi" or "asgi" for apps whose kind cannot be read from their signature.
    Options: base_path, text_mime_types, strip_stage, and lifespan (ASGI only).
    """
    if interface == "auto":
        interface = "asgi" if is_asgi(app) else "wsgi"
    if interface == "asgi":
        from .asgi import ASGIAdapter

        return ASGIAdapter(app, **options)
    if interface == "wsgi":
        if "lifespan" in options:
            raise TypeError("lifespan= applies to ASGI apps only; this app was detected as WSGI")
        from .wsgi import WSGIAdapter

        return WSGIAdapter(app, **options)
    raise ValueError(f"interface must be 'auto', 'wsgi' or 'asgi', not {interface!r}")


def __getattr__(name: str) -> Any:
    if name == "WSGIAdapter":
        from .wsgi import WSGIAdapter

        return WSGIAdapter
    if name in ("ASGIAdapter", "LifespanFailure"):
        from . import asgi

        return getattr(asgi, name)
    raise AttributeError(f"module 'lz.adapter' has no attribute {name!r}")
