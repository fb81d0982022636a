"""The `lz` command: one thin function per subcommand; the work lives in the modules they call."""

from __future__ import annotations

import click

from .local.gateway import FRONTS


@click.group()
@click.version_option(package_name="lz")
def cli() -> None:
    """Put a Python web app on AWS Lambda."""


@cli.command()
@click.option("--app", "app_spec", required=True, help="The app to serve, as module:attr.")
@click.option("--front", type=click.Choice(FRONTS), default="http_api", show_default=True,
              help="Which AWS front's events to emulate.")
@click.option("--stage", default="$default", show_default=True,
              help="API stage name; a named stage is served under /STAGE/.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload/--no-reload", default=False, help="Restart when code changes.")
def serve(app_spec: str, front: str, stage: str, host: str, port: int, reload: bool) -> None:
    """Serve APP locally, each request passing through the real Lambda event path."""
    from .local.serve import serve as run

    try:
        run(app_spec, front, stage, host, port, reload)
    except (ImportError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
if __name__ == "__main__":
    cli()
