"""`lz template`, and what `deploy`, `status`, `rollback` and `undeploy` do for a stage that
CloudFormation owns (main.py hands over to these when the engine is cloudformation)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .common import aws_options, console, load_stage, make_aws


def _build(settings):
    from .bundle import BuildError, DependencyError, build

    try:
        return build(settings)
    except (BuildError, DependencyError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.argument("stage")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the template here (default: stdout).")
@click.option("--format", "fmt", type=click.Choice(["cloudformation", "sam"]), default="cloudformation",
              show_default=True, help="Plain CloudFormation, or SAM (the function as AWS::Serverless::Function).")
@click.option("--upload", is_flag=True,
              help="Put the zip in lz's code bucket and point the template at it (else at the local zip, "
                   "for sam deploy / aws cloudformation package).")
@aws_options
def template(stage: str, output: Path | None, fmt: str, upload: bool, region: str | None, profile: str | None,
             project: str) -> None:
    """Write STAGE as a CloudFormation or SAM template: exactly what `lz deploy STAGE` creates."""
    from .aws import AwsError
    from .deploy.models import desired
    from .registry import RegistryError
    from .template import Code, TemplateError, desired_for_template, render

    settings = load_stage(stage, project)
    bundle = _build(settings)
    try:
        if upload:
            from .stack.engine import upload as put

            aws = make_aws(settings, region, profile)
            code = put(aws, desired(settings, aws.region, aws.account, bundle.path, bundle.handler))
        else:
            base = output.resolve().parent if output else Path.cwd()
            code = Code(path=os.path.relpath(bundle.path, base))
        rendered = render(desired_for_template(settings, bundle.path, bundle.handler), code, fmt)
    except (AwsError, RegistryError, TemplateError) as exc:
        raise click.ClickException(str(exc)) from None
    if output:
        output.write_text(rendered.text())
        click.echo(f"wrote {output} ({len(rendered.document['Resources'])} resources, {fmt})", err=True)
    else:
        click.echo(rendered.text(), nl=False)
    for note in rendered.notes:
        click.echo(f"not in the template: {note.what}: {note.how}", err=True)
    capabilities = "CAPABILITY_NAMED_IAM" + (" CAPABILITY_AUTO_EXPAND" if fmt == "sam" else "")
    where = f"code: {code.path} (sam deploy, or aws cloudformation package, uploads it)" if not upload else \
        f"code: s3://{code.bucket}/{code.key}"
    click.echo(f"{where}; the roles are named: deploy with {capabilities}", err=True)


def _event_line(out):
    def show(event: dict) -> None:
        reason = f"  {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
        out.print(f"  {event.get('ResourceStatus', ''):28s} {event.get('ResourceType', ''):36s} "
                  f"{event.get('LogicalResourceId', '')}{reason}", highlight=False, markup=False)
    return show


def deploy(settings, stage: str, dry_run: bool, force_unlock: bool, yes: bool, aws, plan_table) -> None:
    """`lz deploy STAGE --engine cloudformation`."""
    from .aws import AwsError
    from .deploy.lock import for_stage
    from .registry import RegistryError
    from .stack.engine import deploy as run

    out = console()
    title = f"change set for stack {settings.function_name}"

    def show_plan(steps) -> bool:
        plan_table(steps, out, title)
        if not steps or dry_run or yes:
            return bool(steps) and not dry_run
        try:
            return click.confirm("execute this change set?", err=True)
        except click.Abort:  # no answer (no terminal, end of input, Ctrl-C): not executed
            return False

    try:
        with for_stage(aws, settings, "deploy", force_unlock, lambda m: out.print(m, markup=False),
                       enabled=not dry_run):
            bundle = _build(settings)
            result = run(aws, settings, bundle.path, bundle.handler, dry_run, show_plan, _event_line(out))
    except (AwsError, RegistryError) as exc:
        raise click.ClickException(str(exc)) from None
    if result.status == "not executed" and not dry_run:
        raise click.ClickException("not executed: nothing was changed (the change set was deleted)")
    for line in result.after:
        out.print(f"  {line}", markup=False, highlight=False)
    if dry_run:
        return
    if not result.steps:
        out.print("nothing to do: the stack is as the template says")
    out.print(f"stack {settings.function_name}: {result.status}; alias live -> version {result.version}")
    if result.url:
        click.echo(result.url)


def status_rows(aws, settings) -> list[tuple[str, str]]:
    from .stack.engine import describe

    return describe(aws, settings)


def rollback(settings, stage: str, to, back: int, force_unlock: bool, aws) -> tuple[str, str]:
    from .deploy.lock import for_stage
    from .stack.engine import rollback as run

    out = console()
    with for_stage(aws, settings, "rollback", force_unlock, lambda m: click.echo(m, err=True)):
        return run(aws, settings, to, back, _event_line(out))


def undeploy(settings, stage: str, yes: bool, force_unlock: bool, aws, plan_table) -> list[str]:
    from .deploy.lock import for_stage
    from .stack.engine import undeploy as run

    out = console()

    def confirm(steps) -> bool:
        plan_table(steps, out, f"undeploy {settings.function_name} (CloudFormation stack)")
        return yes or click.confirm("delete the stack and all of these?", default=False, err=True)

    with for_stage(aws, settings, "undeploy", force_unlock, lambda m: out.print(m, markup=False)):
        return run(aws, settings, confirm, _event_line(out))
