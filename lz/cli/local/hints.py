"""Things that work under a local server but cannot work behind a Lambda front, said once.

WebSockets: API Gateway HTTP and REST APIs, Function URLs and ALB targets carry one request and one
response per invocation, so an app's WebSocket routes can never be reached on Lambda (ALB rejects
the upgrade with 400; the others hand the app a plain GET). Saying so once per process, when the app
declares such routes or a client asks for an upgrade, is enough; more would drown the log.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

WEBSOCKET_NOTE = (
    "Lambda's HTTP fronts (API Gateway HTTP and REST APIs, Function URLs, ALB) cannot carry "
    "WebSockets: each invocation is one request and one response, so WebSocket routes are never "
    "reached once deployed (ALB answers 400, the others pass a plain GET that the app answers, "
    "often 404). Serve WebSockets elsewhere (an API Gateway WebSocket API with its own handler, "
    "or a long-running server)."
)

_said = threading.Event()


def websocket_note(what: str) -> bool:
    """Print the WebSocket note with `what` (why it applies) the first time only; True if printed."""
    if _said.is_set():
        return False
    _said.set()
    print(f"lz serve: {what}. {WEBSOCKET_NOTE}", file=sys.stderr, flush=True)
    return True


def websocket_routes(app: Any) -> list[str]:
    """Paths of the WebSocket routes an ASGI app declares (Starlette/FastAPI routes, a Channels
    router's "websocket" protocol), looking through middleware that keeps the app as `.app`."""
    found: list[str] = []
    seen = 0
    while app is not None and seen < 8:
        seen += 1
        mapping = getattr(app, "application_mapping", None)  # channels.routing.ProtocolTypeRouter
        if isinstance(mapping, dict) and "websocket" in mapping:
            found.append("(Channels websocket protocol)")
        routes = getattr(app, "routes", None)
        if routes is None:
            routes = getattr(getattr(app, "router", None), "routes", None)
        if isinstance(routes, list):
            for route in routes:
                names = [cls.__name__ for cls in type(route).__mro__]
                if any("WebSocket" in name for name in names):
                    found.append(str(getattr(route, "path", "?")))
            break
        app = getattr(app, "app", None)
    return found
