"""A small but real Flask app: pages, JSON, a redirect, cookies, an upload and a binary download,
plus work off the request path: a background task, a daily schedule, an S3 upload handler, and a
workflow (two tasks chained, one fanned out per warehouse) started from a view.

Deployed as-is: `handler = adapt(app)` is the Lambda entry point.
"""

from __future__ import annotations

import hashlib

import time

from flask import (Flask, Response, jsonify, make_response, redirect, render_template_string, request,
                   stream_with_context, url_for)

from lz import WorkflowError, adapt, on_s3, schedule, task, workflow

app = Flask(__name__)

ITEMS = {1: {"id": 1, "name": "kettle"}, 2: {"id": 2, "name": "teapot"}}

PAGE = """<!doctype html>
<html><head><title>lz example (Flask)</title></head>
<body>
  <h1>Hello from Flask on lz</h1>
  <p id="where">Served at <code>{{ request.url }}</code> (script root <code>{{ request.script_root or "/" }}</code>)</p>
  <ul>
    <li><a href="{{ url_for('list_items') }}">items (JSON)</a></li>
    <li><a href="{{ url_for('go') }}">a redirect</a></li>
    <li><a href="{{ url_for('set_cookies') }}">set two cookies</a></li>
    <li><a href="{{ url_for('download') }}">a binary download</a></li>
  </ul>
  <form method="post" action="{{ url_for('upload') }}" enctype="multipart/form-data">
    <input type="file" name="file"> <button type="submit">upload</button>
  </form>
</body></html>"""


@app.get("/")
def index():
    return render_template_string(PAGE)


@app.get("/api/items")
def list_items():
    return jsonify(items=list(ITEMS.values()))


@app.post("/api/items")
def create_item():
    data = request.get_json(force=True, silent=True) or {}
    if not isinstance(data.get("name"), str):
        return jsonify(error="name (string) is required"), 400
    item = {"id": max(ITEMS) + 1, "name": data["name"]}
    ITEMS[item["id"]] = item
    sent = announce_item(item["id"], item["name"])  # off the request path; the response does not wait
    return jsonify({**item, "task": sent.id}), 201


@app.get("/api/items/<int:item_id>")
def get_item(item_id: int):
    item = ITEMS.get(item_id)
    if item is None:
        return jsonify(error="not found"), 404
    return jsonify(item)


@app.post("/api/items/<int:item_id>/restock")
def restock_item(item_id: int):
    """Start the restock workflow for an item: on Lambda an execution of the stage's state machine
    (the response carries its ARN: `lz workflow show dev ARN`); under `lz serve`, a thread."""
    item = ITEMS.get(item_id)
    if item is None:
        return jsonify(error="not found"), 404
    warehouses = request.get_json(silent=True) or ["north", "south"]
    if not isinstance(warehouses, list) or not all(isinstance(w, str) for w in warehouses):
        return jsonify(error="send a list of warehouse names, or nothing"), 400
    run = restock.start(item_id, item["name"], warehouses)
    return jsonify(item=item_id, execution=run.arn or run.name), 202


@app.get("/go")
def go():
    return redirect(url_for("list_items"))


@app.get("/cookies")
def set_cookies():
    response = make_response(jsonify(seen=dict(request.cookies)))
    response.set_cookie("flavour", "oatmeal", httponly=True)
    response.set_cookie("visits", str(int(request.cookies.get("visits", "0")) + 1))
    return response


@app.post("/upload")
def upload():
    file = request.files.get("file")
    data = file.read() if file else request.get_data()
    return jsonify(size=len(data), sha256=hashlib.sha256(data).hexdigest())


@app.get("/download")
def download():
    size = request.args.get("size", default=1024, type=int)
    data = bytes(i % 251 for i in range(size))
    response = make_response(data)
    response.headers["Content-Type"] = "application/octet-stream"
    return response


@app.get("/echo")
def echo():
    return jsonify(
        method=request.method,
        path=request.path,
        script_root=request.script_root,
        url=request.url,
        args={k: request.args.getlist(k) for k in request.args},
        remote_addr=request.remote_addr,
        cookies=dict(request.cookies),
    )


@app.get("/count")
def count():
    """A generator route: on a stage with "stream": true each line reaches the client as it is
    yielded (elsewhere the response is sent whole once the generator is done)."""
    n = min(request.args.get("n", default=5, type=int), 100)
    delay = min(request.args.get("delay", default=0.2, type=float), 2.0)

    def lines():
        for i in range(1, n + 1):
            yield f"{i} of {n} (from {request.path})\n"  # stream_with_context keeps `request`
            if i < n:
                time.sleep(delay)

    return Response(stream_with_context(lines()), mimetype="text/plain")


@schedule("rate(1 day)")
def forget_new_items() -> None:
    """Runs daily on Lambda (an EventBridge rule made by lz deploy): drop items made at run time."""
    for item_id in [i for i in ITEMS if i > 2]:
        del ITEMS[item_id]


@task
def announce_item(item_id: int, name: str) -> None:
    """Background work: on Lambda an async invocation of this function; under `lz serve`, a thread."""
    print(f"announcing item {item_id}: {name}", flush=True)


@task(retries=2)
def price_item(item_id: int, name: str) -> int:
    """A step of the restock workflow (a Task state on Step Functions, retried twice): the price in
    cents."""
    return 250 + 10 * len(name) + item_id


@task(timeout=30)
def stock_level(item_id: int, warehouse: str) -> dict:
    """A step run once per warehouse, side by side on Step Functions (a Map state)."""
    return {"warehouse": warehouse, "count": len(warehouse) * item_id}


@workflow
def restock(item_id: int, name: str, warehouses: list) -> dict:
    """Price an item, then count it in every warehouse. `lz deploy` compiles this body into the
    state machine example-flask-dev-restock; called as restock(...), it runs here as plain Python."""
    if len(warehouses) == 0:
        raise WorkflowError(f"no warehouse to restock {name} in")
    price = price_item(item_id, name)
    levels = [stock_level(item_id, w) for w in warehouses]
    return {"item": item_id, "name": name, "price": price, "levels": levels}


@on_s3(bucket="${UPLOADS_BUCKET}", prefix="incoming/", suffix=".jpg")
def new_picture(record: dict) -> None:
    """Each new incoming/*.jpg in the stage's uploads bucket (UPLOADS_BUCKET in lz_settings.json)."""
    print(f"new picture: {record['s3']['object']['key']}", flush=True)


handler = adapt(app)
