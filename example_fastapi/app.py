"""A small but real FastAPI app: JSON, a redirect, cookies, an upload, a binary download, server-sent
events, and a client made once in lifespan startup and reused by every request.

Deployed as-is: `handler = adapt(app)` is the Lambda entry point.
"""

from __future__ import annotations

import hashlib
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel

from lz import adapt


class Pool:
    """Stands in for a database pool: made at startup, bound to the loop that made it."""

    def __init__(self) -> None:
        import asyncio

        self.loop = asyncio.get_running_loop()
        self.queries = 0

    async def query(self) -> int:
        import asyncio

        assert asyncio.get_running_loop() is self.loop, "pool used from another event loop"
        self.queries += 1
        return self.queries


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield {"pool": Pool()}


app = FastAPI(lifespan=lifespan)
ITEMS = {1: {"id": 1, "name": "kettle"}, 2: {"id": 2, "name": "teapot"}}


class NewItem(BaseModel):
    name: str


@app.get("/", response_class=HTMLResponse)
async def index(request: Request) -> str:
    return (
        "<!doctype html><html><head><title>lz example (FastAPI)</title></head><body>"
        f"<h1>Hello from FastAPI on lz</h1><p id='where'>Served at <code>{request.url}</code></p>"
        f"<a href='{request.url_for('list_items')}'>items</a></body></html>"
    )


@app.get("/api/items/")
async def list_items() -> dict:
    return {"items": list(ITEMS.values())}


@app.post("/api/items/", status_code=201)
async def create_item(item: NewItem) -> dict:
    new = {"id": max(ITEMS) + 1, "name": item.name}
    ITEMS[new["id"]] = new
    return new


@app.get("/api/items/{item_id}")
def get_item(item_id: int, response: Response) -> dict:
    # A plain `def` on purpose: FastAPI runs it in a worker thread, off the event loop.
    item = ITEMS.get(item_id)
    if item is None:
        response.status_code = 404
        return {"error": "not found"}
    return item


@app.get("/go")
async def go(request: Request) -> RedirectResponse:
    return RedirectResponse(str(request.url_for("list_items")))


@app.get("/cookies")
async def set_cookies(request: Request, response: Response) -> dict:
    response.set_cookie("flavour", "oatmeal", httponly=True)
    response.set_cookie("visits", str(int(request.cookies.get("visits", "0")) + 1))
    return {"seen": dict(request.cookies)}


@app.post("/upload")
async def upload(request: Request) -> dict:
    data = await request.body()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@app.get("/download")
async def download(size: int = 1024) -> Response:
    return Response(bytes(i % 251 for i in range(size)), media_type="application/octet-stream")


@app.get("/pool")
async def pool(request: Request) -> dict:
    return {"queries": await request.state.pool.query()}


@app.get("/events")
async def events(n: int = 5, delay: float = 0.2) -> StreamingResponse:
    """Server-sent events: on a stage with "stream": true each event reaches the browser (an
    EventSource) as it is sent; elsewhere they arrive together once the last is sent."""
    import asyncio
    import json

    n, delay = min(n, 100), min(delay, 2.0)

    async def stream():
        for i in range(1, n + 1):
            yield f"event: tick\ndata: {json.dumps({'n': i, 'of': n})}\n\n"
            if i < n:
                await asyncio.sleep(delay)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


@app.get("/echo")
async def echo(request: Request) -> dict:
    return {
        "method": request.method,
        "path": request.url.path,
        "root_path": request.scope.get("root_path", ""),
        "url": str(request.url),
        "args": {k: request.query_params.getlist(k) for k in request.query_params},
        "client": request.client.host if request.client else None,
        "cookies": dict(request.cookies),
    }


handler = adapt(app)
