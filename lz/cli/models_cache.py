"""botocore's data files (service models, endpoint rules, endpoints.json), parsed once per machine.

Every botocore client loads its service's model and endpoint rules, gzipped JSON of hundreds of KB,
and the first client of a session loads endpoints.json too: 30-100 ms of CPU each, most of what an
unchanged `lz deploy` spends once its calls overlap (issue 15 item 24). marshal reads the same data
5-10 times faster, so the first load of each file writes a marshal copy to lz's cache and the
next commands read that instead.

A copy is named after the file's path, size and modification time and the Python version (marshal's
format is the interpreter's), so an upgraded botocore is read from its JSON again. Anything wrong
with a copy (missing, unreadable, damaged) means the JSON is read as before; a cache that cannot
be written costs nothing but the saving.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import marshal
import os
import sys
from pathlib import Path
from typing import Any

from botocore.loaders import JSONFileLoader

FOLDER = "botocore-models"
_EXTENSIONS = (".json", ".json.gz")  # botocore's order: a plain file wins over a gzipped one


class CachedFileLoader(JSONFileLoader):
    """botocore's JSON file loader, with a marshal copy of each file in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_file(self, file_path: str) -> Any:
        for extension in _EXTENSIONS:
            full = file_path + extension
            try:
                found = os.stat(full)
            except OSError:
                continue
            copy = self.folder / _name(full, found.st_size, found.st_mtime_ns)
            try:
                return marshal.loads(copy.read_bytes())
            except (OSError, EOFError, ValueError, TypeError):
                pass
            with (gzip.open if extension.endswith(".gz") else open)(full, "rb") as handle:
                data = json.loads(handle.read().decode("utf-8"))
            _write(copy, data)
            return data
        return None


def _name(path: str, size: int, mtime_ns: int) -> str:
    key = f"{sys.version_info[:2]}|{marshal.version}|{os.path.abspath(path)}|{size}|{mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:40] + ".marshal"


def _write(copy: Path, data: Any) -> None:
    """The copy written whole or not at all (another process may be writing the same copy)."""
    from .bundle.files import replacing

    try:
        with replacing(copy) as temp:
            temp.write_bytes(marshal.dumps(data))
    except (OSError, ValueError):
        pass


def install(session: Any) -> None:
    """Make the botocore `session` (boto3's `Session._session`) load its data files through the
    cache in lz's cache folder (LZ_CACHE_DIR)."""
    from .paths import cache_root

    loader = session.get_component("data_loader")
    if not isinstance(loader.file_loader, CachedFileLoader):
        loader.file_loader = CachedFileLoader(cache_root() / FOLDER)
