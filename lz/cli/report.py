"""How build results are shown: one place, so every command that builds reports the same way."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .bundle import Bundle


def _mib(size: int) -> str:
    return f"{size / 2**20:.2f} MiB"


def print_bundle(bundle: Bundle, console: Console) -> None:
    console.print(f"[bold]{bundle.path}[/bold]  ({bundle.target.describe()}, handler {bundle.handler})")
    console.print(f"  zipped {_mib(bundle.zipped)}, unzipped {_mib(bundle.unzipped)}"
                  f"{', dependencies from cache' if bundle.deps_cached else ''}")
    console.print("  bytecode: " + (f"compiled with {bundle.compiled_with}" if bundle.compiled_with
                                    else "none (sources only)"))
    if bundle.packages:
        table = Table("biggest packages", "unzipped", box=None, padding=(0, 2))
        for name, size in sorted(bundle.packages.items(), key=lambda kv: -kv[1])[:8]:
            table.add_row(name, _mib(size))
        console.print(table)
    for secret in bundle.secrets_left_out:
        console.print(f"  [yellow]left out (looks secret):[/yellow] {secret}  "
                      '(ship it with "include" in lz_settings.json)')
    for note in bundle.notes:
        console.print(f"  [yellow]note:[/yellow] {note}")
