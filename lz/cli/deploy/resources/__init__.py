"""One module per AWS resource kind, each with the same three functions:

    plan(aws, want) -> [Step]          what must change for this kind, from what exists now
    apply(aws, step, want) -> None     carry out one of its create/update/publish steps
    delete(aws, step) -> None          carry out one of its delete steps (planned, or from teardown)
    teardown(aws, project, stage, region) -> [Step]   delete steps for what exists

and one constant, what its steps wait for when a plan is applied (deploy/graph.py):

    AFTER = ("function",)   kinds whose steps must all be done first (only kinds before it in
                            KINDS); () for none; left out: the kind runs in sequence with every
                            other (all before it first, all after it later): safe, not fast

KINDS is the plan's order (and the printed plan's); teardown runs it backwards, one step at a time.
"""

from . import (
    access,
    alarms,
    bucket,
    certificate,
    distribution,
    dns,
    domain,
    features,
    function,
    http_api,
    logs,
    record,
    rest_api,
    role,
    s3_notifications,
    schedules,
    sns_subscriptions,
    sqs_sources,
    static_bucket,
    task_queue,
    url,
    workflow_roles,
    workflows,
)

KINDS = (record,  # first: the record of features this deploy adds (record.py)
         role, workflow_roles, logs, bucket, static_bucket, function, task_queue, url, http_api, rest_api,
         access, certificate, domain, distribution, dns,  # the front door (issue 12)
         schedules, s3_notifications, sqs_sources, sns_subscriptions, workflows, alarms,
         features)  # last: records what is deployed once everything else is done (features.py)
BY_NAME = {kind.KIND: kind for kind in KINDS}
