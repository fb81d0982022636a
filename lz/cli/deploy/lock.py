"""One change of a stage at a time: `lz deploy`, `undeploy` and `rollback` hold the stage's lock.

Two locks, taken in this order and released in reverse:

- **This machine**: `fcntl.flock` on PROJECT/.lz/STAGE.deploy.lock, taken before the build, so two
  deploys in one checkout never build or upload over each other. The kernel drops it when its
  process ends, however it ends, so it never needs breaking.
- **Every machine**: an SSM Parameter Store parameter, /lz/PROJECT/STAGE/deploy-lock, created with
  PutParameter *without* Overwrite. That call creates the parameter or fails with
  ParameterAlreadyExists, so of two deployers racing for a stage exactly one wins, wherever they
  run. Why this one:
    - a tag on the function, written then read back, is no lock: two writers can each read their
      own tag back between the two writes, and on a first deploy there is no function to tag;
    - Lambda's RevisionId is a real compare-and-set, but for one call on one resource that must
      already exist; a deploy is tens of calls on several resources. lz still uses it where it
      moves the alias `live` (resources/function.py), so `live` only ever moves from the version the
      plan saw to the version this deploy published;
    - an S3 PutObject with If-None-Match: * is atomic too, but needs a bucket, which most projects
      never get from lz (only bundles over 50 MB do), and a DynamoDB conditional put needs a table;
    - a Parameter Store parameter needs nothing made beforehand, lives in the stage's own account
      and region, costs nothing (standard tier), and its value says who holds it and since when.
  The deploying identity needs ssm:PutParameter, ssm:GetParameter and ssm:DeleteParameter on
  arn:aws:ssm:REGION:ACCOUNT:parameter/lz/*.

A process that dies without releasing (kill -9, a lost machine) leaves the parameter behind: the
next deploy says who held it and since when, and `--force-unlock` removes it. Ctrl-C, SIGTERM and
errors release both locks on the way out.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import signal
import socket
import threading
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..aws import Aws, AwsError, error_code

try:
    import fcntl
except ImportError:  # Windows: no flock; the AWS-side lock still holds across machines
    fcntl = None  # type: ignore[assignment]


class StageBusy(AwsError):
    """Another process holds the stage's lock; the message says who, since when, and what to do."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: shown to the one refused."""

    by: str  # user@host pid N
    since: str  # ISO 8601, UTC
    command: str  # deploy | undeploy | rollback
    token: str = ""

    def text(self) -> str:
        return json.dumps({"by": self.by, "since": self.since, "command": self.command,
                           "token": self.token}, sort_keys=True)

    @staticmethod
    def parse(text: str) -> "Holder":
        try:
            data = json.loads(text)
            return Holder(str(data["by"]), str(data["since"]), str(data.get("command", "deploy")),
                          str(data.get("token", "")))
        except (ValueError, KeyError, TypeError):
            return Holder(text.strip()[:200] or "an unknown process", "an unknown time", "deploy")


def me(command: str) -> Holder:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    return Holder(f"{user}@{socket.gethostname()} pid {os.getpid()}",
                  datetime.now(timezone.utc).isoformat(timespec="seconds"), command, uuid.uuid4().hex)


def parameter_name(project: str, stage: str) -> str:
    return f"/lz/{project}/{stage}/deploy-lock"


def _busy(stage: str, holder: Holder, command: str, local: bool) -> StageBusy:
    doing = {"deploy": "deployed", "undeploy": "undeployed", "rollback": "rolled back"}.get(
        holder.command, "changed")
    what = f"stage {stage} is being {doing} (lz {holder.command}) by {holder.by} since {holder.since}"
    if local:
        return StageBusy(f"{what}, on this machine; wait for it to finish (this lock goes away by "
                         "itself when that process ends)")
    return StageBusy(f"{what}; run `lz {command} {stage} --force-unlock` if that process is gone")


@contextmanager
def local_lock(path: Path, stage: str, holder: Holder) -> Iterator[None]:
    """flock on `path`, or StageBusy at once when another process (or thread) holds it."""
    if fcntl is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(stage, Holder.parse(os.pread(fd, 1000, 0).decode("utf-8", "replace")),
                        holder.command, local=True) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.text().encode(), 0)
        yield  # the file stays: deleting it would let a third process lock a fresh file
    finally:
        os.close(fd)  # closing drops the flock


class AwsLock:
    """The stage's Parameter Store lock (see the module's docstring)."""

    def __init__(self, aws: Aws, project: str, stage: str) -> None:
        self.aws, self.stage = aws, stage
        self.name = parameter_name(project, stage)

    def holder(self) -> Holder | None:
        try:
            value = self.aws.client("ssm").get_parameter(Name=self.name)["Parameter"]["Value"]
        except Exception as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            with self.aws.explain(f"reading the deploy lock {self.name}"):
                raise
        return Holder.parse(value)

    def acquire(self, holder: Holder, attempts: int = 3) -> None:
        ssm = self.aws.client("ssm")
        try:
            ssm.put_parameter(Name=self.name, Value=holder.text(), Type="String", Overwrite=False,
                              Description=f"lz: {holder.command} of stage {self.stage} in progress")
        except Exception as exc:
            if error_code(exc) == "ParameterAlreadyExists":
                current = self.holder()
                if current is None and attempts > 1:  # released between the two calls: again
                    return self.acquire(holder, attempts - 1)
                raise _busy(self.stage, current or Holder("another lz process", "a moment ago", "deploy"),
                            holder.command, local=False) from None
            with self.aws.explain(f"taking the deploy lock {self.name} (lz keeps one per stage in "
                                  "SSM Parameter Store: the identity needs ssm:PutParameter, "
                                  "GetParameter and DeleteParameter on parameter/lz/*)"):
                raise
        except BaseException:  # Ctrl-C while the call was in flight: it may have landed
            try:
                self.release(holder)
            except Exception:
                pass  # the interrupt is what the user must see; the next deploy reports the lock
            raise

    def release(self, holder: Holder) -> None:
        """Delete the parameter if it is still ours (a --force-unlock may have handed it on)."""
        current = self.holder()
        if current is not None and current.token == holder.token:
            self.delete()

    def delete(self) -> None:
        try:
            self.aws.client("ssm").delete_parameter(Name=self.name)
        except Exception as exc:
            if error_code(exc) != "ParameterNotFound":
                with self.aws.explain(f"removing the deploy lock {self.name}"):
                    raise


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so the locks are released."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def local_lock_path(root: Path, stage: str) -> Path:
    """PROJECT/.lz/STAGE.deploy.lock, or one in lz's cache for a project that cannot be written."""
    local = root / ".lz" / f"{stage}.deploy.lock"
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
        return local
    except OSError:
        from ..paths import cache_root

        digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
        return Path(os.path.abspath(cache_root())) / "locks" / f"{digest}-{stage}.deploy.lock"


@contextmanager
def stage_lock(aws: Aws, root: Path, project: str, stage: str, command: str,
               force_unlock: bool = False,
               say: Callable[[str], None] = lambda message: None) -> Iterator[Holder]:
    """Hold the stage's two locks for the block. `force_unlock` first removes an AWS-side lock
    left by a process that is gone (`say` reports whose it was)."""
    holder = me(command)
    with _terminate_as_interrupt(), local_lock(local_lock_path(root, stage), stage, holder):
        remote = AwsLock(aws, project, stage)
        if force_unlock:
            stale = remote.holder()
            if stale is not None:
                remote.delete()
                say(f"removed the lock of stage {stage} held by {stale.by} (lz {stale.command}) "
                    f"since {stale.since}")
        remote.acquire(holder)
        try:
            yield holder
        finally:
            try:
                remote.release(holder)
            except AwsError as exc:
                say(f"could not release the deploy lock: {exc}; the next deploy will need "
                    f"--force-unlock")


def for_stage(aws: Aws, stage, command: str, force_unlock: bool = False,
              say: Callable[[str], None] = lambda message: None, enabled: bool = True,
              clients: Sequence[str] = (), warm: Callable[[], object] | None = None):
    """stage_lock for a loaded settings.Stage; a no-op when not `enabled` (a dry run changes
    nothing, so it neither waits for nor blocks a deploy). `warm` (default: the account and
    `clients`) runs meanwhile on a daemon thread; it must start no thread pool, whose threads the
    process would wait for on its way out (a deploy refused by the lock, say)."""
    if not enabled:
        return nullcontext()
    # the command needs the account and `clients` next: get them while the lock call (and the
    # build) run; a failure here is not kept, and shows where the same is asked for again
    warm = warm or (lambda: (aws.account, aws.prepare(clients)))
    threading.Thread(target=lambda: _quietly(warm), daemon=True).start()
    return stage_lock(aws, stage.root, stage.project, stage.name, command, force_unlock, say)


def _quietly(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:
        pass
