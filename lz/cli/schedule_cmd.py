"""`lz schedule STAGE` / `lz unschedule STAGE`: a stage's EventBridge rules alone, without a deploy
of the function or its fronts (under the stage's deploy lock, like a deploy)."""

from __future__ import annotations

import click

from .common import aws_options, load_stage, make_aws


def _schedules(stage: str, region: str | None, profile: str | None, project: str, remove: bool) -> None:
    from .aws import AwsError
    from .bundle import BuildError, DependencyError, build
    from .deploy.lock import for_stage
    from .deploy.operations import schedule_only
    from .registry import RegistryError
    from .stack.engine import guard_lz

    settings = load_stage(stage, project)
    aws = make_aws(settings, region, profile)
    try:
        with for_stage(aws, settings, "schedule"):
            guard_lz(aws, settings)  # a stack's rules are the stack's: deploy changes them
            bundle = build(settings)
            steps = schedule_only(aws, settings, bundle.path, bundle.handler, remove)
    except (BuildError, DependencyError, AwsError, RegistryError) as exc:
        raise click.ClickException(str(exc)) from None
    if not steps:
        click.echo("schedules: nothing to change")
    for step in steps:
        click.echo(f"{step.action} rule {step.name}: {step.reason}")


@click.command()
@click.argument("stage")
@aws_options
def schedule(stage: str, region: str | None, profile: str | None, project: str) -> None:
    """Create or update STAGE's schedules (EventBridge rules) only; say what changed."""
    _schedules(stage, region, profile, project, remove=False)


@click.command()
@click.argument("stage")
@aws_options
def unschedule(stage: str, region: str | None, profile: str | None, project: str) -> None:
    """Remove STAGE's schedules; the function and its fronts stay."""
    _schedules(stage, region, profile, project, remove=True)
