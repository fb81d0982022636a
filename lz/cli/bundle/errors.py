"""The bundler's error, in a module of its own so that every part of the bundler can raise it
without importing the package that assembles them (and lz.cli.bundle re-exports it)."""

from __future__ import annotations


class BuildError(Exception):
    """The bundle cannot be built as configured; the message says why and what to do."""
