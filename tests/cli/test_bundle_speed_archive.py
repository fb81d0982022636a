"""lz's own zip writer and the parallel packer (issue 15, item 25): the same entries give the same
bytes whatever the number of threads and the order they were added in; what it writes is a valid
zip for zipfile and for Info-ZIP's unzip (an independent reader, as Lambda's own unpacking is);
entries are stored or deflated by kind; a cached archive's entries are kept byte for byte when a
bundle is written on top of it; zip64 end records past 65,534 entries."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from lz.cli.bundle import archive
from lz.cli.bundle.zipformat import STORED, ZipWriter


def _tree(root: Path) -> dict[str, bytes]:
    """Files of every kind the policy tells apart, plus the edge cases of the format."""
    rng = random.Random(25)
    files = {
        "app.py": b"def app(environ, start_response):\n    return [b'ok']\n" * 40,
        "pkg/__init__.py": b"",
        "pkg/data/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(3000)),
        "pkg/_speedups.cpython-313-x86_64-linux-gnu.so": b"\x7fELF" + b"\x00\x01code" * 5000,
        "pkg.libs/libz-1a2b.so.1.2.13": b"\x7fELF" + bytes(range(256)) * 300,
        "pkg/noise.bin": bytes(rng.getrandbits(8) for _ in range(20000)),  # deflate cannot shrink it
        "pkg/big.txt": b"".join(b"line %d of a long text file\n" % i for i in range(200000)),
        "pkg/caf\u00e9/menu.txt": "caf\u00e9 cr\u00e8me\n".encode(),
        "bin/run": b"#!/bin/sh\necho hi\n",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "bin/run").chmod(0o755)
    return files


def test_serial_and_parallel_packing_write_the_same_bytes(tmp_path: Path) -> None:
    files = _tree(tmp_path / "src")
    items = archive.tree(tmp_path / "src")
    serial, parallel, shuffled = tmp_path / "serial.zip", tmp_path / "parallel.zip", tmp_path / "shuffled.zip"
    archive.write(serial, items, jobs=1)
    archive.write(parallel, items, jobs=4)
    with archive.Packer(3) as packer:  # added in another order, some as bytes, some twice
        for name, path in reversed(items):
            packer.file(name, path)
        packer.data("app.py", b"replaced")
        packer.data("app.py", files["app.py"])
        packer.write(shuffled)
    assert serial.read_bytes() == parallel.read_bytes() == shuffled.read_bytes()


def test_what_it_writes_is_a_valid_zip_with_fixed_times_modes_and_methods(tmp_path: Path) -> None:
    files = _tree(tmp_path / "src")
    out = tmp_path / "out.zip"
    sizes = archive.write(out, archive.tree(tmp_path / "src"), jobs=2)
    assert sizes == {name: len(data) for name, data in files.items()}
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        infos = {info.filename: info for info in zf.infolist()}
        assert [info.filename for info in zf.infolist()] == sorted(files)
        for name, data in files.items():
            assert zf.read(name) == data
    assert all(info.date_time == archive.EPOCH for info in infos.values())
    assert infos["bin/run"].external_attr >> 16 == 0o100755
    assert {info.external_attr >> 16 for name, info in infos.items() if name != "bin/run"} == {0o100644}
    assert infos["pkg/data/logo.png"].compress_type == zipfile.ZIP_STORED  # compressed already
    assert infos["pkg/noise.bin"].compress_type == zipfile.ZIP_STORED  # deflate would grow it
    for name in ("app.py", "pkg/big.txt", "pkg/_speedups.cpython-313-x86_64-linux-gnu.so",
                 "pkg.libs/libz-1a2b.so.1.2.13"):
        assert infos[name].compress_type == zipfile.ZIP_DEFLATED
        assert infos[name].compress_size < infos[name].file_size / 2
    assert infos["pkg/caf\u00e9/menu.txt"].flag_bits & 0x800  # a UTF-8 name says so
    if shutil.which("unzip"):
        checked = subprocess.run(["unzip", "-t", str(out)], capture_output=True, text=True)
        assert checked.returncode == 0 and "No errors detected" in checked.stdout, checked.stdout
        unpacked = tmp_path / "unpacked"
        subprocess.run(["unzip", "-q", str(out), "-d", str(unpacked)], check=True)
        assert (unpacked / "pkg/big.txt").read_bytes() == files["pkg/big.txt"]
        assert os.access(unpacked / "bin/run", os.X_OK)


def test_a_bundle_written_on_a_cached_archive_keeps_its_entries_byte_for_byte(tmp_path: Path) -> None:
    _tree(tmp_path / "deps")
    base = tmp_path / "deps.zip"
    archive.write(base, archive.tree(tmp_path / "deps"), jobs=2)
    (tmp_path / "app").mkdir()
    (tmp_path / "app/handler.py").write_text("handler = None\n")
    (tmp_path / "app/aaa.txt").write_text("sorts before the cached entries, written after them\n")
    out = tmp_path / "bundle.zip"
    archive.write(out, archive.tree(tmp_path / "app"), base=base, jobs=2)
    with zipfile.ZipFile(base) as zf:
        cached = zf.infolist()
        start = zf.start_dir
    assert out.read_bytes()[:start] == base.read_bytes()[:start]
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == [info.filename for info in cached] + ["aaa.txt", "handler.py"]
        assert zf.read("handler.py") == b"handler = None\n"
    assert base.read_bytes() != out.read_bytes()  # the base itself is left as it was
    again = tmp_path / "again.zip"
    archive.write(again, archive.tree(tmp_path / "app"), base=base, jobs=1)
    assert again.read_bytes() == out.read_bytes()


def test_a_base_that_lz_did_not_write_is_refused_with_a_reason(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("a.txt", "a")
        zf.comment = b"made elsewhere"
    with pytest.raises(ValueError, match="not a zip written by lz"):
        ZipWriter(tmp_path / "out.zip", base=foreign)
    (tmp_path / "short.zip").write_bytes(b"PK")
    with pytest.raises(ValueError, match="too short"):
        ZipWriter(tmp_path / "out2.zip", base=tmp_path / "short.zip")


@pytest.mark.slow
def test_zip64_end_records_from_65535_entries_and_appending_to_such_an_archive(tmp_path: Path) -> None:
    many = tmp_path / "many.zip"
    with ZipWriter(many) as out:
        empty = archive.pack("x", b"")
        assert empty.method == STORED
        for n in range(65535):
            out.add(archive.pack(f"f{n:05d}", b""))
    with zipfile.ZipFile(many) as zf:
        assert len(zf.infolist()) == 65535
    more = tmp_path / "more.zip"
    with ZipWriter(more, base=many) as out:
        out.add(archive.pack("zz-last.txt", b"last\n"))
    with zipfile.ZipFile(more) as zf:
        infos = zf.infolist()
        assert len(infos) == 65536 and infos[-1].filename == "zz-last.txt"
        assert zf.read("zz-last.txt") == b"last\n" and zf.read("f00000") == b""


def test_build_jobs_come_from_lz_build_jobs_and_a_bad_value_says_what_to_give(monkeypatch) -> None:
    monkeypatch.setenv("LZ_BUILD_JOBS", "3")
    assert archive.jobs_default() == 3
    monkeypatch.delenv("LZ_BUILD_JOBS")
    assert archive.jobs_default() == (os.cpu_count() or 1)
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("LZ_BUILD_JOBS", bad)
        with pytest.raises(ValueError, match="whole number of parallel jobs, 1 or more"):
            archive.jobs_default()


def test_a_tree_does_not_enter_the_folders_it_is_told_to_skip(tmp_path: Path) -> None:
    _tree(tmp_path / "src")
    (tmp_path / "src/pkg/tests").mkdir()
    (tmp_path / "src/pkg/tests/test_x.py").write_text("")
    (tmp_path / "src/pkg/tests_helper.py").write_text("")  # a sibling whose name starts alike
    every = {name for name, _ in archive.tree(tmp_path / "src")}
    some = {name for name, _ in archive.tree(tmp_path / "src", skip=["pkg/tests", "pkg/caf\u00e9"])}
    assert every - some == {"pkg/tests/test_x.py", "pkg/caf\u00e9/menu.txt"}
    assert "pkg/tests_helper.py" in some
    (tmp_path / "src/linked").symlink_to(tmp_path / "src/pkg", target_is_directory=True)
    (tmp_path / "src/pkg/alias.py").symlink_to(tmp_path / "src/pkg/tests_helper.py")
    walked = {name for name, _ in archive.tree(tmp_path / "src")}
    assert walked - every == {"pkg/alias.py"}  # as os.walk: a link to a file is one, a linked folder is not entered


def test_deflate_is_named_and_keys_the_dependency_cache(monkeypatch) -> None:
    """Entries are deflated by zlib-ng when it is installed (a dependency of lz's CLI), else by
    zlib; either writes what any inflater reads (the zip test above reads with zipfile, which
    inflates with the standard library's zlib, and with unzip). A cached deps.zip is reused only
    by builds deflating with the same library and version, so a rebuild gives the same bytes."""
    assert archive.DEFLATER.split()[0] in ("zlib-ng", "zlib")
    import zlib

    data = b"".join(b"line %d\n" % i for i in range(5000))
    packed = archive.pack("x.txt", data)
    assert zlib.decompress(packed.payload, -15) == data and packed.crc == zlib.crc32(data)
    from lz.cli.bundle import deps
    from lz.cli.bundle.target import Target

    target = Target("3.13", "x86_64")
    before = deps._key(None, target, False, [], "python3.13", False, [])
    monkeypatch.setattr(archive, "DEFLATER", "zlib 0.0-other")
    assert deps._key(None, target, False, [], "python3.13", False, []) != before
