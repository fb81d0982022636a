"""The web app of the workflow test project: a view that starts a workflow."""

import json

from wfdemo.flows import fan_out


def app(environ, start_response):
    handle = fan_out.start(["a", "b"], 64)
    body = json.dumps({"execution": handle.arn or handle.name}).encode()
    start_response("202 Accepted", [("Content-Type", "application/json")])
    return [body]
