"""The `lz` command: one thin function per subcommand; the work lives in the modules they call."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import aws_options, console, load_stage, make_aws


@click.group()
@click.version_option(package_name="lz-lambda")
def cli() -> None:
    """Put a Python web app on AWS Lambda."""


@cli.command()
@click.option("--stage", default="dev", show_default=True)
@click.option("--app", "app_spec", help="The app as module:attr (default: found in the code).")
@click.option("--runtime", type=click.Choice(["python3.12", "python3.13", "python3.14"]))
@click.option("--architecture", type=click.Choice(["x86_64", "arm64"]))
@click.option("--region", help="AWS region for this stage.")
@click.option("--yes", is_flag=True, help="Take the defaults and what was found; ask nothing.")
@click.option("--force", is_flag=True, help="Replace the stage if the file already has it.")
@click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False))
def init(stage: str, app_spec: str | None, runtime: str | None, architecture: str | None,
         region: str | None, yes: bool, force: bool, project: str) -> None:
    """Find the app in this project and write lz_settings.json for STAGE."""
    from .init import detect, write
    from .settings import SettingsError

    root = Path(project).resolve()
    if app_spec is None:
        found = detect(root)
        if found:
            click.echo(f"found a {found[0].framework} app: {found[0].app} ({found[0].path})", err=True)
            app_spec = found[0].app
        elif yes:
            raise click.ClickException(
                "found no Flask, FastAPI, Starlette, Django, ... app in the project: pass --app module:attr")
    if not yes:
        app_spec = click.prompt("app (module:attr)", default=app_spec, err=True)
        runtime = runtime or click.prompt("runtime", default="python3.13", err=True,
                                          type=click.Choice(["python3.12", "python3.13", "python3.14"]))
        architecture = architecture or click.prompt("architecture", default="x86_64", err=True,
                                                    type=click.Choice(["x86_64", "arm64"]))
        region = region or click.prompt("AWS region (empty: from your AWS config)", default="",
                                        show_default=False, err=True) or None
    try:
        path = write(root, stage, app_spec, runtime or "python3.13", architecture or "x86_64", region, force)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {path} (stage {stage}); next: lz deploy {stage}", err=True)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of lz_settings.json."""
    from .settings import schema as build

    click.echo(json.dumps(build(), indent=2))


@cli.command()
@click.argument("stage")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the zip (default: .lz/PROJECT-STAGE.zip).")
@click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The project directory (holding lz_settings.json).")
@click.option("--refresh", is_flag=True, help="Resolve dependencies again, ignoring the cache.")
@click.option("--no-bytecode", is_flag=True,
              help="Ship sources only (every cold start then compiles them; for comparisons).")
@click.option("--explain", is_flag=True,
              help="List every project file or folder left out of the zip, and why.")
def package(stage: str, output: Path | None, project: str, refresh: bool, no_bytecode: bool,
            explain: bool) -> None:
    """Build the Lambda zip of STAGE: your code, lz's runtime, Linux wheels for the target."""
    from .bundle import BuildError, DependencyError, build
    from .bundle.collect import explain_lines
    from .report import print_bundle

    settings = load_stage(stage, project)
    from rich.console import Console

    console = Console(stderr=True, soft_wrap=True)  # long paths stay on one line (logs, grep)
    with console.status("packaging…") as status:
        try:
            bundle = build(settings, output, refresh, step=lambda m: status.update(m + "…"),
                           bytecode=not no_bytecode,
                           on_wait=lambda m: console.print(m, markup=False, highlight=False))
        except (BuildError, DependencyError) as exc:
            raise click.ClickException(str(exc)) from None
    print_bundle(bundle, console)
    if explain:
        for line in explain_lines(bundle.left_out):
            console.print(line, markup=False, highlight=False)
    elif bundle.left_out:
        console.print(f"  {len(bundle.left_out)} project files or folders left out (junk, secrets, "
                      f"exclude, symlinks): `lz package {stage} --explain` lists each and why",
                      markup=False, highlight=False, style="dim")


def _plan_table(steps, console, title: str) -> None:
    from rich.table import Table

    from .deploy.operations import step_rows

    if not steps:
        console.print(f"{title}: nothing to change")
        return
    table = Table("resource", "action", "reason", title=title, title_justify="left")
    for row in step_rows(steps):
        table.add_row(*row)
    console.print(table)


@cli.command()
@click.argument("stage")
@click.option("--dry-run", is_flag=True, help="Print the plan and stop.")
@click.option("--force-unlock", is_flag=True,
              help="Remove the stage's deploy lock left by a process that is gone, then deploy.")
@click.option("--confirm", is_flag=True, help="Ask before applying the plan (default: apply it).")
@click.option("--engine", type=click.Choice(["lz", "cloudformation"]),
              help="Who deploys: lz's own engine, or a CloudFormation stack (default: the stage's \"engine\").")
@click.option("--yes", is_flag=True, help="With --engine cloudformation: execute the change set without asking.")
@click.option("--canary", "canary_share", metavar="PERCENT|off",
              help="Give the new version this share of live (e.g. 10%), watch it, then promote it or roll "
                   "back (overrides the deploy.canary setting; off: no canary).")
@click.option("--for", "canary_for", metavar="DURATION", help="How long a canary is watched (e.g. 10m).")
@aws_options
def deploy(stage: str, dry_run: bool, force_unlock: bool, confirm: bool, engine: str | None, yes: bool,
           canary_share: str | None, canary_for: str | None, region: str | None, profile: str | None,
           project: str) -> None:
    """Package STAGE, show the plan, apply it, print the URL. Re-running converges.

    The plan is applied without asking, as a CI job wants; --confirm asks first. With the
    cloudformation engine the plan is the stack's change set, executed after a prompt (--yes: not).
    """
    from .aws import AwsError
    from .bundle import BuildError, DependencyError, build
    from .deploy.lock import for_stage
    from .deploy.operations import deploy_clients, warm_beside
    from .deploy.operations import deploy as run
    from .registry import RegistryError

    from .canary_cli import canary_settings, canary_progress

    settings = canary_settings(load_stage(stage, project), canary_share, canary_for)
    out = console()
    aws = make_aws(settings, region, profile)
    if (engine or settings.engine) == "cloudformation":
        from . import stack_cmd

        stack_cmd.deploy(settings, stage, dry_run, force_unlock, yes, aws, _plan_table)
        return

    planned: list = []
    applied: list = []

    def show_plan(steps) -> None:
        planned[:] = steps
        _plan_table(steps, out, f"plan for {settings.project}-{stage}")
        if confirm and steps and not dry_run and not click.confirm("apply this plan?", err=True):
            raise click.ClickException("not applied: nothing was changed")

    def done(index: int, step, error: BaseException | None) -> None:
        """One line per step, in plan order, as steps finish (independent ones run side by side)."""
        if error is None:
            applied.append(step)
        out.print(f"  [{index + 1}] {step.action} {step.kind}: {step.name} "
                  + (f"({step.reason})" if error is None else "FAILED"), highlight=False, markup=False)

    try:
        with for_stage(aws, settings, "deploy", force_unlock, lambda m: out.print(m, markup=False),
                       enabled=not dry_run, warm=lambda: aws.prepare(deploy_clients(settings))):
            from concurrent.futures import ThreadPoolExecutor

            from .stack.engine import guard_lz

            warm_beside(aws, settings)  # while the bundle builds; and does a stack own the stage?
            with ThreadPoolExecutor(1) as side:
                guarded = side.submit(guard_lz, aws, settings)
                bundle = build(settings)
                guarded.result()
            with canary_progress(out) as on_canary:
                result = run(aws, settings, bundle.path, bundle.handler, dry_run,
                             show_plan=show_plan, on_done=done, on_canary=on_canary)
    except (BuildError, DependencyError, AwsError, RegistryError) as exc:
        if applied and len(applied) < len(planned):
            out.print(f"{len(applied)} of {len(planned)} steps done: run lz deploy {stage} again to "
                      "finish (it plans only what is left)",
                      highlight=False, markup=False)
        raise click.ClickException(str(exc)) from None
    for said in (result.interrupted, result.canary):
        if said:
            out.print(said, markup=False, highlight=False)
    uploads = sum(n for op, n in result.calls.items()
                  if op in ("lambda:CreateFunction", "lambda:UpdateFunctionCode"))
    out.print(f"{sum(result.calls.values())} AWS calls ({result.writes} writes), "
                  f"{'code uploaded' if uploads else 'no code uploaded'}")
    if dry_run:
        return
    for line in result.pending:
        out.print(f"pending: {line}", markup=False, highlight=False)
    out.print(f"deployed: alias live -> version {result.version}")
    if result.url:
        click.echo(result.url)


@cli.command()
@click.argument("stage")
@aws_options
def status(stage: str, region: str | None, profile: str | None, project: str) -> None:
    """What is deployed for STAGE, and how it differs from the settings and code."""
    from .aws import AwsError
    from .bundle import BuildError, DependencyError, build
    from .deploy.operations import status as read

    settings = load_stage(stage, project)
    aws = make_aws(settings, region, profile)
    try:
        from .stack_cmd import status_rows

        stack_rows = status_rows(aws, settings)  # a stage CloudFormation owns: its stack, no lz plan
        bundle = build(settings)
        st = read(aws, settings, None if stack_rows else bundle.path, bundle.handler)
    except (BuildError, DependencyError, AwsError) as exc:
        raise click.ClickException(str(exc)) from None
    for label, value in stack_rows:  # shown even when the stack holds no function with live
        click.echo(f"{label:20s} {value}")
    if not st.deployed:
        raise click.ClickException(f"{st.name} is not deployed (no function with alias live in {aws.region})")
    for label, value in [("function", st.name), ("version behind live", st.version),
                         ("runtime", f"{st.runtime} ({st.architecture})"), ("memory", f"{st.memory} MB"),
                         ("timeout", f"{st.timeout} s"), ("last update", st.last_modified),
                         ("code sha256", st.code_sha256), ("url", st.url or "none"),
                         ("responses", st.responses)]:
        click.echo(f"{label:20s} {value}")
    for label, value in (("canary", st.canary), ("health", st.health)):
        if value:
            click.echo(f"{label:20s} {value}")
    for label, value in st.front:
        click.echo(f"{label:20s} {value}")
    for line in st.pending:
        click.echo(f"pending: {line}")
    click.echo("triggers:" if st.triggers else "triggers:           none (HTTP only)")
    for kind, what, detail in st.triggers:
        click.echo(f"  {kind:9s} {what}  {detail}")
    if st.workflows:
        click.echo("workflows (last executions, newest first):")
    for name, kind, runs in st.workflows:
        last = ", ".join(runs) if runs else ("in its logs only (EXPRESS)" if kind == "EXPRESS" else "none yet")
        click.echo(f"  {name}  {kind.lower()}  {last}")
    if stack_rows:
        click.echo(f"changes from settings/code: lz deploy {stage} --dry-run shows the change set")
    elif st.drift:
        click.echo("drift from settings/code (lz deploy would):")
        for line in st.drift:
            click.echo(f"  - {line}")
    else:
        click.echo("in sync with settings and code")


@cli.command()
@click.argument("stage")
@click.option("--to", "to", help="Version to point live at.")
@click.option("-n", "back", type=int, default=1, show_default=True, help="Go back N versions.")
@click.option("--force-unlock", is_flag=True,
              help="Remove the stage's deploy lock left by a process that is gone, then roll back.")
@aws_options
def rollback(stage: str, to: str | None, back: int, force_unlock: bool, region: str | None,
             profile: str | None, project: str) -> None:
    """Point STAGE's alias live at an earlier version: code and configuration together."""
    from .aws import AwsError
    from .deploy.lock import for_stage
    from .deploy.operations import rollback as run

    settings = load_stage(stage, project)
    aws = make_aws(settings, region, profile)
    from .deploy import canary

    try:
        from .stack.engine import engine_of

        if engine_of(aws, settings) == "cloudformation":
            from . import stack_cmd

            before, after = stack_cmd.rollback(settings, stage, to, back, force_unlock, aws)
            click.echo(f"live: version {before} -> {after} (stack parameter LiveVersion)")
            return
        with for_stage(aws, settings, "rollback", force_unlock, lambda m: click.echo(m, err=True)):
            found = canary.pending(aws, settings.function_name)
            if found is not None:  # an interrupted canary: undoing it is the rollback (unless --to)
                canary.undo(aws, settings.function_name, found)
                click.echo(f"live: canary of version {found.new} undone; live stays on version {found.stable}")
                if to is None:
                    return
            before, after = run(aws, settings, to, back)
    except AwsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"live: version {before} -> {after}")


@cli.command()
@click.argument("stage")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force-unlock", is_flag=True,
              help="Remove the stage's deploy lock left by a process that is gone, then undeploy.")
@aws_options
def undeploy(stage: str, yes: bool, force_unlock: bool, region: str | None, profile: str | None,
             project: str) -> None:
    """Delete every resource of STAGE, and say what was deleted."""
    from .aws import AwsError
    from .deploy.lock import for_stage
    from .deploy.operations import undeploy as run

    settings = load_stage(stage, project)
    aws = make_aws(settings, region, profile)
    out = console()

    def confirm(steps) -> bool:
        _plan_table(steps, out, f"undeploy {settings.project}-{stage}")
        return yes or click.confirm("delete all of these?", default=False, err=True)

    try:
        from .stack.engine import engine_of

        if engine_of(aws, settings) == "cloudformation":
            from . import stack_cmd

            said = stack_cmd.undeploy(settings, stage, yes, force_unlock, aws, _plan_table)
            for line in said:
                click.echo(line)
            if not said:
                out.print("nothing deleted")
            return
        with for_stage(aws, settings, "undeploy", force_unlock, lambda m: out.print(m, markup=False)):
            deleted = run(aws, settings, confirm)
    except AwsError as exc:
        raise click.ClickException(str(exc)) from None
    if not deleted:
        out.print("nothing deleted")
    for step in deleted:
        click.echo(step.said or f"deleted {step.kind}: {step.name}")


from .operate import invoke, manage, serve, tail  # noqa: E402 - commands of their own module
from .stack_cmd import template  # noqa: E402 - `lz template`
from .workflow_cmd import workflow  # noqa: E402 - the `lz workflow` group
from .metrics_cmd import metrics  # noqa: E402 - `lz metrics`
from .keys_cmd import keys  # noqa: E402 - the `lz keys` group
from .schedule_cmd import schedule, unschedule  # noqa: E402 - `lz schedule`, `lz unschedule`

for _command in (serve, invoke, manage, tail, workflow, template, metrics, keys, schedule, unschedule):
    cli.add_command(_command)

if __name__ == "__main__":
    cli()
