"""`lz workflow ...`: the state machines the project's @workflow functions compile into.

    lz workflow graph STAGE NAME           # the ASL JSON on stdout, with the ${FunctionArn} placeholder
    lz workflow graph STAGE NAME --dot     # a Graphviz picture: ... --dot | dot -Tsvg > flow.svg
    lz workflow graph STAGE NAME --resolve # the placeholder filled in with the alias `live`'s ARN

`graph` works offline: it reads the code (never imports it) with the stage's include/exclude, as
`lz package` does. Only --resolve asks AWS (for the account id).
"""

from __future__ import annotations

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
