"""One module per AWS resource kind, each with the same three functions:

    plan(aws, want) -> [Step]          what must change for this kind, from what exists now
    apply(aws, step, want) -> None     carry out one of its steps
    teardown(aws, project, stage, region) -> [Step]   delete steps for what exists

KINDS is the apply order (teardown runs it backwards).
"""

from . import bucket, function, http_api, logs, rest_api, role, schedules, url

KINDS = (role, logs, bucket, function, url, http_api, rest_api, schedules)
BY_NAME = {kind.KIND: kind for kind in KINDS}
