"""The exec wrapper that starts lz's loop on Lambda's managed Python runtime.

Lambda starts a script named by AWS_LAMBDA_EXEC_WRAPPER with the runtime's own command line (the
interpreter's path, then its arguments; "Modifying the runtime environment", Lambda guide:
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html). This one runs lz's loop with
that same interpreter, so the stage stays on `python3.x` (its patches, its boto3, its layers) and
only the Runtime API client changes. It hands the command back untouched (the managed runtime's
own client, awslambdaric) when LZ_RUNTIME=awslambdaric, when the bundle has no lz loop, or under
Lambda Managed Instances' multi-concurrency (AWS_LAMBDA_MAX_CONCURRENCY), which lz's loop does
not serve.

`lz package` writes SCRIPT into every bundle at ARCNAME with MODE (executable: Lambda refuses a
wrapper it cannot execute); `lz deploy` sets AWS_LAMBDA_EXEC_WRAPPER to PATH. The text lives here
rather than in a file of its own so that no install step can drop its executable bit.
"""

from __future__ import annotations

ARCNAME = "lz/runtime/wrapper.sh"
PATH = "/var/task/" + ARCNAME
MODE = 0o100755
ENV = "AWS_LAMBDA_EXEC_WRAPPER"

SCRIPT = r"""#!/bin/sh
# lz's exec wrapper (AWS_LAMBDA_EXEC_WRAPPER), written by `lz package`: Lambda's managed Python
# runtime starts it with its own command line ("$1" is the interpreter); it runs lz's runtime loop
# (lz/runtime/) with that interpreter instead of the managed runtime's client. LZ_RUNTIME=awslambdaric
# in the function's environment runs the managed client as usual.
root="${LAMBDA_TASK_ROOT:-/var/task}"
if [ "${LZ_RUNTIME:-lz}" != "lz" ] || [ -n "${AWS_LAMBDA_MAX_CONCURRENCY:-}" ] \
    || [ ! -f "$root/lz/runtime/bootstrap.py" ]; then
  exec "$@"
fi
exec "$1" -c 'import os, sys
sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT") or "/var/task")
from lz.runtime.bootstrap import main
main()' "$@"
"""


def bundle_entry() -> tuple[str, bytes, int]:
    """(arcname, bytes, st_mode) of the wrapper, as the bundle stores it."""
    return ARCNAME, SCRIPT.encode("ascii"), MODE
