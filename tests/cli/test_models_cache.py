"""botocore's data files read through lz's marshal copies (lz/cli/models_cache.py): the same
models as from the JSON, a copy per file, and a damaged copy never in the way."""

from __future__ import annotations

from pathlib import Path

import botocore.session

from lz.cli.models_cache import CachedFileLoader, install


def _session(folder: Path | None):
    session = botocore.session.Session()
    session.register_component("data_loader", botocore.loaders.create_loader())  # a loader of its own
    if folder is not None:
        session.get_component("data_loader").file_loader = CachedFileLoader(folder)
    return session


def _model(session, service: str):
    client = session.create_client(service, region_name="us-east-1", aws_access_key_id="x",
                                   aws_secret_access_key="x")
    model = client.meta.service_model
    return {name: (model.operation_model(name).input_shape and
                   list(model.operation_model(name).input_shape.members)) for name in model.operation_names}


def test_a_client_from_the_copies_has_the_models_the_json_gives(tmp_path: Path) -> None:
    plain = _model(_session(None), "lambda")
    first = _model(_session(tmp_path), "lambda")  # reads the JSON, writes the copies
    copies = sorted(tmp_path.glob("*.marshal"))
    assert copies  # the service model, its endpoint rules, endpoints.json...
    again = _model(_session(tmp_path), "lambda")  # reads the copies
    assert plain == first == again and "CreateFunction" in plain
    assert sorted(tmp_path.glob("*.marshal")) == copies  # nothing new to write


def test_a_damaged_or_unwritable_copy_falls_back_to_the_json(tmp_path: Path) -> None:
    _model(_session(tmp_path), "sts")
    for copy in tmp_path.glob("*.marshal"):
        copy.write_bytes(b"not marshal")
    assert "GetCallerIdentity" in _model(_session(tmp_path), "sts")
    assert all(copy.read_bytes() != b"not marshal" for copy in tmp_path.glob("*.marshal"))  # rewritten
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert "GetCallerIdentity" in _model(_session(blocked / "cache"), "sts")  # its folder cannot be made


def test_install_puts_the_cache_in_lz_s_cache_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LZ_CACHE_DIR", str(tmp_path))
    session = _session(None)
    install(session)
    install(session)  # once is enough: a second install keeps the first
    loader = session.get_component("data_loader").file_loader
    assert isinstance(loader, CachedFileLoader) and loader.folder == tmp_path / "botocore-models"
