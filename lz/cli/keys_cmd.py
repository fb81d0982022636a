"""`lz keys create/list/revoke STAGE NAME`: API keys of a REST stage with "auth": {"api_keys": ...}."""

from __future__ import annotations

import click

from .common import aws_options, load_stage, make_aws


@click.group()
def keys() -> None:
    """API keys of a REST API stage (settings "auth": {"api_keys": {...}})."""


def _run(stage: str, region: str | None, profile: str | None, project: str, action):
    from .aws import AwsError

    settings = load_stage(stage, project)
    aws = make_aws(settings, region, profile)
    try:
        return action(aws, settings)
    except AwsError as exc:
        raise click.ClickException(str(exc)) from None


@keys.command("create")
@click.argument("stage")
@click.argument("name")
@aws_options
def create(stage: str, name: str, region: str | None, profile: str | None, project: str) -> None:
    """Make key NAME in STAGE's usage plan and print its value (shown this once)."""
    from .deploy import keys as api_keys

    ident, value = _run(stage, region, profile, project, lambda aws, s: api_keys.create(aws, s, name))
    click.echo(f"key {name} ({ident}) created; its value, shown only now (send it as x-api-key):", err=True)
    click.echo(value)


@keys.command("list")
@click.argument("stage")
@aws_options
def list_keys(stage: str, region: str | None, profile: str | None, project: str) -> None:
    """The keys of STAGE: name, id, enabled (never their values)."""
    from .deploy import keys as api_keys

    rows = _run(stage, region, profile, project, api_keys.listing)
    if not rows:
        click.echo("no keys (lz keys create STAGE NAME makes one)", err=True)
    for name, ident, enabled in rows:
        click.echo(f"{name}  {ident}  {'enabled' if enabled else 'disabled'}")


@keys.command("revoke")
@click.argument("stage")
@click.argument("name")
@aws_options
def revoke(stage: str, name: str, region: str | None, profile: str | None, project: str) -> None:
    """Delete key NAME of STAGE: requests with it are refused from then on."""
    from .deploy import keys as api_keys

    ident = _run(stage, region, profile, project, lambda aws, s: api_keys.revoke(aws, s, name))
    click.echo(f"key {name} ({ident}) revoked")
