"""`lz workflow ...`: the state machines the project's @workflow functions compile into, and their
executions on the deployed stage.

    lz workflow graph STAGE NAME           # the ASL JSON on stdout, with the ${FunctionArn} placeholder
    lz workflow graph STAGE NAME --dot     # a Graphviz picture: ... --dot | dot -Tsvg > flow.svg
    lz workflow graph STAGE NAME --resolve # the placeholder filled in with the alias `live`'s ARN
    lz workflow start STAGE NAME --args '{"key": "a.png"}' [--wait]   # prints the execution's ARN
    lz workflow list STAGE [NAME]          # the latest executions, newest first
    lz workflow show STAGE EXECUTION       # status, input, output, the failed state, the history

`graph` works offline: it reads the code (never imports it) with the stage's include/exclude, as
`lz package` does. Only --resolve asks AWS (for the account id). start/list/show work on what
`lz deploy` made (lz/cli/executions.py).
"""

from __future__ import annotations

import json

import click

from .common import aws_options, load_stage, make_aws


@click.group()
def workflow() -> None:
    """Workflows (@workflow) compiled into AWS Step Functions state machines."""


def _compiled(stage):
    from .bundle.collect import collect
    from .workflow import CompileError, compile_project

    files = collect(stage.root, stage.include, stage.exclude).files
    try:
        return compile_project(files)
    except CompileError as exc:
        raise click.ClickException(str(exc)) from None


@workflow.command()
@click.argument("stage")
@click.argument("name")
@click.option("--dot", is_flag=True, help="Print a Graphviz DOT picture instead of the JSON.")
@click.option("--resolve", is_flag=True,
              help="Fill in ${FunctionArn} with the stage's alias ARN (asks AWS for the account).")
@aws_options
def graph(stage: str, name: str, dot: bool, resolve: bool, region: str | None, profile: str | None,
          project: str) -> None:
    """Print the state machine workflow NAME of STAGE compiles into."""
    from .workflow import CompileError, find, machine_name
    from .workflow import resolve as fill

    settings = load_stage(stage, project)
    try:
        found = find(_compiled(settings), name)
        machine = machine_name(settings.function_name, found.name)
    except CompileError as exc:
        raise click.ClickException(str(exc)) from None
    if dot:
        from .workflow.dot import to_dot

        click.echo(to_dot(found.definition, machine), nl=False)
        return
    text = found.asl
    if resolve:
        from .aws import AwsError

        aws = make_aws(settings, region, profile)
        try:
            partition = aws.session.get_partition_for_region(aws.region)
            arn = f"arn:{partition}:lambda:{aws.region}:{aws.account}:function:{settings.function_name}:live"
        except AwsError as exc:
            raise click.ClickException(str(exc)) from None
        text = fill(text, arn)
    click.echo(text)
    click.echo(f"{machine}: {found.state_count()} states from {found.statements} statements "
               f"({found.origin}); tasks: {', '.join(found.tasks) or 'none'}", err=True)


def _stage_and_machines(stage: str, project: str, region: str | None, profile: str | None):
    from .executions import deployed

    settings = load_stage(stage, project)
    aws = make_aws(settings, region, profile)
    return settings, aws, deployed(aws, settings)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@workflow.command()
@click.argument("stage")
@click.argument("name")
@click.option("--args", "args_json", metavar="JSON",
              help='The arguments: an object of parameter names (or a list, in order), e.g. \'{"key": "a.png"}\'.')
@click.option("--wait", is_flag=True, help="Follow the execution to its end, state by state.")
@click.option("--timeout", type=float, help="With --wait: give up following after this many seconds.")
@click.option("--poll", type=float, default=1.0, hidden=True, help="Seconds between looks (--wait).")
@aws_options
def start(stage: str, name: str, args_json: str | None, wait: bool, timeout: float | None, poll: float,
          region: str | None, profile: str | None, project: str) -> None:
    """Start an execution of workflow NAME on STAGE; print its ARN (--wait: follow it to the end)."""
    from .aws import AwsError
    from .executions import arguments, follow, pick
    from .executions import start as run

    try:
        settings, aws, machines = _stage_and_machines(stage, project, region, profile)
        machine = pick(machines, name, settings)
        given = arguments(settings, machine.workflow, args_json)
        if wait and machine.type == "EXPRESS":
            raise click.ClickException(
                f"{machine.workflow} is an EXPRESS workflow: Step Functions keeps no history of its "
                "executions to follow; start it without --wait and read its log group (settings "
                f'"workflows": {{"{machine.workflow}": {{"logging": "ALL"}}}})')
        arn = run(aws, machine, given)
        click.echo(arn)
        if not wait:
            return
        from .executions import line

        ended = follow(aws, arn, lambda event, by_id: _progress(line(event, by_id, None)), poll, timeout)
    except AwsError as exc:
        raise _fail(exc) from None
    _ending(aws, arn, ended)


def _progress(text: str | None) -> None:
    if text is not None:
        click.echo(f"  {text.strip()}", err=True)


def _ending(aws, arn: str, ended: dict) -> None:
    from .executions import failure, history

    status = ended["status"]
    if status == "SUCCEEDED":
        click.echo(f"{status}", err=True)
        click.echo(json.dumps(json.loads(ended.get("output") or "null"), indent=2))
        return
    found = failure(history(aws, arn))
    if found is None:
        raise click.ClickException(f"the execution ended {status}")
    state, error, cause, trace = found
    for entry in trace:
        click.echo(f"    {entry}", err=True)
    raise click.ClickException(f"the execution ended {status}{f' in state {state}' if state else ''}: "
                               f"{error}{f': {cause}' if cause else ''}")


@workflow.command(name="list")
@click.argument("stage")
@click.argument("name", required=False)
@click.option("-n", "limit", type=int, default=20, show_default=True, help="How many executions.")
@aws_options
def list_(stage: str, name: str | None, limit: int, region: str | None, profile: str | None,
          project: str) -> None:
    """The latest executions of STAGE's workflows (or of NAME only), newest first."""
    from .aws import AwsError
    from .executions import pick, recent

    try:
        settings, aws, machines = _stage_and_machines(stage, project, region, profile)
        chosen = [pick(machines, name, settings)] if name else list(machines.values())
        rows = recent(aws, chosen, limit)
    except AwsError as exc:
        raise _fail(exc) from None
    if not machines:
        click.echo(f"stage {stage} has no deployed workflows", err=True)
    for machine in chosen:
        if machine.type == "EXPRESS":
            click.echo(f"{machine.workflow}: EXPRESS, its executions are in its log group only", err=True)
    if chosen and not rows:
        click.echo("no executions yet", err=True)
    for machine, execution in rows:
        started = execution["startDate"]
        stopped = execution.get("stopDate")
        took = f"{(stopped - started).total_seconds():.1f} s" if stopped else "-"
        click.echo(f"{started.strftime('%Y-%m-%d %H:%M:%S')}  {machine.workflow:20s}  {execution['status']:10s}  "
                   f"{took:>9s}  {execution['name']}")


@workflow.command()
@click.argument("stage")
@click.argument("execution")
@aws_options
def show(stage: str, execution: str, region: str | None, profile: str | None, project: str) -> None:
    """How EXECUTION (its ARN or name) of STAGE went: status, input, output, failure, history."""
    from .aws import AwsError
    from .executions import describe, failure, find, history, story

    try:
        settings, aws, machines = _stage_and_machines(stage, project, region, profile)
        machine, arn = find(aws, machines, execution, settings)
        described = describe(aws, arn)
        events = history(aws, arn)
    except AwsError as exc:
        raise _fail(exc) from None
    started, stopped = described.get("startDate"), described.get("stopDate")
    rows = [("execution", arn),
            ("workflow", f"{machine.workflow} ({machine.machine})" if machine else described.get("stateMachineArn")),
            ("status", described["status"]),
            ("started", started.isoformat() if started else "-"),
            ("stopped", f"{stopped.isoformat()} ({(stopped - started).total_seconds():.3f} s)" if stopped else "-"),
            ("input", _compact(described.get("input"))),
            ("output", _compact(described.get("output")) if described["status"] == "SUCCEEDED" else "-")]
    for label, value in rows:
        click.echo(f"{label:10s} {value}")
    found = failure(events) if described["status"] not in ("RUNNING", "SUCCEEDED") else None
    if found is not None:
        state, error, cause, trace = found
        click.echo(f"{'failed in':10s} {state or '?'}: {error}{f': {cause}' if cause else ''}")
        for entry in trace:
            click.echo(f"             {entry}")
    click.echo("history:")
    for text in story(events):
        click.echo(f"  {text}")


def _compact(text: str | None) -> str:
    if text is None:
        return "-"
    try:
        return json.dumps(json.loads(text), separators=(", ", ": "))
    except ValueError:
        return text
