"""Commands for running and looking at a stage: `serve`, `invoke`, `manage`, `tail`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import aws_options, load_stage, make_aws
from .local.gateway import FRONTS


@click.command()
@click.argument("stage", required=False)
@click.option("--app", "app_spec", help="The app as module:attr (default: the stage's `app`).")
@click.option("--front", type=click.Choice(FRONTS), help="Which AWS front's events and limits to "
              "emulate (default: the stage's `http`, else http_api; alb: a target group in its "
              "default single-value header mode).")
@click.option("--api-stage", "--stage", "api_stage", help="API stage name; a named stage is served "
              "under /NAME/ (default: the stage's name for rest_api, else $default).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload/--no-reload", default=None,
              help="Restart when code changes (default: on with a STAGE, in-process mode).")
@click.option("--bundle", "use_bundle", is_flag=True,
              help="Build the stage's bundle and run it under the target Python (local Lambda runtime).")
@click.option("--env-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="NAME=VALUE lines for the stage's secrets (offline; default: read from AWS with your "
                   "credentials, as the function reads them).")
@click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False))
@click.option("--auth-token-claims", "claims_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Emulate the JWT authorizer: requests with an Authorization header get these claims "
                   "(a JSON object), requests without one a 401.")
def serve(stage: str | None, app_spec: str | None, front: str | None, api_stage: str | None, host: str,
          port: int, reload: bool | None, use_bundle: bool, env_file: Path | None, project: str,
          claims_file: Path | None) -> None:
    """Serve STAGE (or --app) locally, each request passing through the real Lambda event path."""
    from .local.serve import ServeError, serve_app, serve_bundle, serve_stage

    if claims_file is not None:
        from .local import claims

        try:
            claims.use(claims.load(claims_file))
        except claims.ClaimsError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        if stage is None:
            if app_spec is None or use_bundle:
                raise ServeError("name a STAGE of lz_settings.json, or pass --app module:attr")
            serve_app(app_spec, front or "http_api", api_stage or "$default", host, port, bool(reload))
            return
        settings = load_stage(stage, project)
        if use_bundle:
            serve_bundle(settings, front, api_stage, host, port, env_file)
        else:
            serve_stage(settings, app_spec, front, api_stage, host, port, reload is not False, env_file)
    except ServeError as exc:
        raise click.ClickException(str(exc)) from None


def _log_besides(log: list[str], output: str) -> list[str]:
    """The log tail without the lines the command printed: those are shown once, on stdout (the
    function also writes them to its log, so the tail repeats them)."""
    printed: dict[str, int] = {}
    for line in output.splitlines():
        printed[line] = printed.get(line, 0) + 1
    rest = []
    for line in log:
        if printed.get(line, 0) > 0:
            printed[line] -= 1
        else:
            rest.append(line)
    return rest


def _answer(answer, show_result: bool = True) -> None:
    result = answer.result
    output = result.get("output") if isinstance(result, dict) else None
    output = output if isinstance(output, str) else ""
    for line in _log_besides(answer.log, output):
        click.echo(line, err=True)
    if output:
        click.echo(output, nl=False)
    if not answer.ok:
        raise click.ClickException(answer.error or "the function failed")
    if show_result:
        shown = result.get("result") if isinstance(result, dict) and "result" in result else result
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))


def _send(settings, payload, local: bool, bundle_path: Path | None, region, profile):
    from .aws import AwsError
    from .bundle import BuildError, DependencyError, build
    from .invoke import local as run_local
    from .invoke import remote
    from .local.runner import LocalRuntimeError

    try:
        if local:
            return run_local(settings, bundle_path or build(settings).path, payload)
        return remote(make_aws(settings, region, profile), settings, payload)
    except (AwsError, BuildError, DependencyError, LocalRuntimeError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.argument("stage")
@click.argument("function", required=False)
@click.option("--args", "args_json", help='Positional arguments as a JSON list, e.g. \'[42, "x"]\'.')
@click.option("--kwargs", "kwargs_json", help="Keyword arguments as a JSON object.")
@click.option("--event", "event_file", type=click.File("r"), help="Send this JSON event as is ('-': stdin).")
@click.option("--raw", "raw_code", help="Python code to run in the function (needs allow_raw_invoke).")
@click.option("--local", is_flag=True, help="Run the bundle on this machine (local Lambda runtime).")
@click.option("--bundle", "bundle_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --local: an already built zip (default: build STAGE first).")
@aws_options
def invoke(stage: str, function: str | None, args_json: str | None, kwargs_json: str | None, event_file,
           raw_code: str | None, local: bool, bundle_path: Path | None, region: str | None,
           profile: str | None, project: str) -> None:
    """Run FUNCTION (module.function) in STAGE's function, or send it an --event or --raw code;
    print the result, the function's log to stderr."""
    from .invoke import InvokeError, function_payload, raw_payload

    settings = load_stage(stage, project)
    if sum(x is not None for x in (function, event_file, raw_code)) != 1:
        raise click.ClickException("give exactly one of: a FUNCTION (module.function), --event FILE, --raw CODE")
    try:
        if event_file is not None:
            try:
                payload = json.load(event_file)
            except ValueError as exc:
                raise InvokeError(f"{event_file.name} is not valid JSON: {exc}") from None
        elif raw_code is not None:
            payload = raw_payload(settings, raw_code)
        else:
            payload = function_payload(settings, function, args_json, kwargs_json)
    except InvokeError as exc:
        raise click.ClickException(str(exc)) from None
    _answer(_send(settings, payload, local, bundle_path, region, profile), show_result=raw_code is None)


# lz's own options may stand anywhere (`lz manage dev check --local`); every other word goes to
# Django in its order. `--` ends lz's options, for a Django option spelled like one of lz's.
@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--local", is_flag=True, help="Run the bundle on this machine (local Lambda runtime).")
@click.option("--bundle", "bundle_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --local: an already built zip.")
@aws_options
@click.argument("stage")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def manage(local: bool, bundle_path: Path | None, region: str | None, profile: str | None, project: str,
           stage: str, command: tuple[str, ...]) -> None:
    """Run a Django management command (e.g. migrate, check) inside STAGE's function.

    lz's options (--local, --bundle, --project, --region, --profile) may stand anywhere; the other
    words go to Django. Put `--` before the command to pass Django an option of the same name:
    `lz manage dev -- mycommand --local`.
    """
    from .invoke import InvokeError, manage_payload

    settings = load_stage(stage, project)
    if local and command and command[0] == "collectstatic":
        _collectstatic_locally(settings, command)
        return
    try:
        payload = manage_payload(list(command))
    except InvokeError as exc:
        raise click.ClickException(str(exc)) from None
    answer = _send(settings, payload, local, bundle_path, region, profile)
    _answer(answer, show_result=False)
    code = answer.result.get("exit", 0) if isinstance(answer.result, dict) else 0
    if code:
        raise click.ClickException(f"manage {command[0]} exited with code {code}")


def _collectstatic_locally(settings, command: tuple[str, ...]) -> None:
    """`lz manage --local STAGE collectstatic`: inside the local runtime it would copy into the
    unzipped bundle's folder, thrown away after the run. lz collects at build time instead, into the
    folder the bundle ships (or deploy uploads): do that, and say so."""
    from .bundle import BuildError, DependencyError, build

    try:
        built = build(settings)
    except (BuildError, DependencyError) as exc:
        raise click.ClickException(str(exc)) from None
    ignored = f" (its options {' '.join(command[1:])} do not apply)" if command[1:] else ""
    if built.static is None:
        click.echo(f"lz manage: stage {settings.name} has no static files to collect (not a Django app "
                   'with django.contrib.staticfiles, or "static": false)' + ignored)
        return
    click.echo(f"lz manage: lz runs collectstatic itself whenever it builds the stage (lz package, lz "
               f"deploy, lz serve), into its own folder, never the settings' STATIC_ROOT; ran it now"
               f"{ignored}: {built.static.describe()}")


@click.command()
@click.argument("stage")
@click.option("--since", default="10m", show_default=True, help="10m, 2h, 1d, or 2026-11-22T10:00 (UTC).")
@click.option("--filter", "pattern", help="CloudWatch Logs filter pattern, e.g. ERROR or '\"GET /api\"'.")
@click.option("--follow/--no-follow", default=True, help="Keep printing new lines (Ctrl-C stops).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--http", "http_only", is_flag=True, help="Only request lines.")
@click.option("--errors", "errors_only", is_flag=True, help="Only errors and tracebacks (and 5xx requests).")
@click.option("--raw", "raw", is_flag=True, help="Keep Lambda's START/END/REPORT lines as they are.")
@click.option("--poll", is_flag=True, help="Poll FilterLogEvents instead of a live tail session.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--page-size", type=int, hidden=True)
@aws_options
def tail(stage: str, since: str, pattern: str | None, follow: bool, as_json: bool, http_only: bool,
         errors_only: bool, raw: bool, poll: bool, interval: float, page_size: int | None,
         region: str | None, profile: str | None, project: str) -> None:
    """Print STAGE's function log: requests, log records, tracebacks; follows it by default."""
    from .aws import AwsError
    from .tail.fetch import Tail, parse_since
    from .tail.fold import Folder, render, wanted

    settings = load_stage(stage, project)
    try:
        start = parse_since(since)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    aws = make_aws(settings, region, profile)
    reader = Tail(aws, settings.log_group, start, pattern, page_size, interval)
    reader.note = lambda message: click.echo(f"lz tail: {message}", err=True)
    folder = Folder(fold=not raw)
    color = not as_json and sys.stdout.isatty()
    shown = 0

    def show(lines) -> None:
        nonlocal shown
        for line in lines:
            if wanted(line, http_only, errors_only):
                click.echo(line.as_json() if as_json else render(line, color))
                shown += 1
        sys.stdout.flush()

    try:
        reader.check()
        batches = reader.follow(live=not poll) if follow else iter([reader.window()])
        for batch in batches:
            for event in batch:
                show(folder.feed(event))
            if follow and batch:
                show(folder.flush(older_than=batch[-1].timestamp - 10_000))
        show(folder.flush())
        if not follow and not shown:
            filters = [f for f, on in (("--filter", pattern), ("--http", http_only),
                                       ("--errors", errors_only)) if on]
            click.echo(f"lz tail: no log lines since {since}"
                       + (f" matching {', '.join(filters)}" if filters else "")
                       + f" in {settings.log_group}", err=True)
    except AwsError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        show(folder.flush())
