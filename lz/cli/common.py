"""What the commands share: loading a stage's settings, AWS options and session, the console."""

from __future__ import annotations

from pathlib import Path

import click


def load_stage(stage: str, project: str):
    from .settings import SettingsError, load

    try:
        return load(Path(project), stage)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def aws_options(command):
    command = click.option("--region", help="AWS region (else the stage's, AWS_REGION, the profile's).")(command)
    command = click.option("--profile", envvar="AWS_PROFILE", help="AWS profile (AWS_PROFILE).")(command)
    return click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False),
                        help="The project directory (holding lz_settings.json).")(command)


def make_aws(settings, region: str | None, profile: str | None):
    from .aws import Aws, AwsError

    try:
        return Aws(region or settings.region, profile)
    except AwsError as exc:
        raise click.ClickException(str(exc)) from None


def console():
    """The console commands report on (stderr). Off a terminal (CI logs, a pipe, a file) nothing
    is cut to 80 columns: tables take the width their values need, so no name is lost."""
    import sys

    from rich.console import Console

    wide = None if sys.stderr.isatty() else 10_000
    return Console(stderr=True, soft_wrap=True, width=wide)
