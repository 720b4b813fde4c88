"""The tar of an upload (streamed, exact length) and the safe extraction of a download (crafted tars refused)."""

from __future__ import annotations

import io
import os
from pathlib import Path
import tarfile

import pytest

from sani_client import FolderTar, SaniError, UnsafeArchiveError, safe_extract


def make_tar(path: Path, entries) -> Path:
    """A tar with crafted entries: (name, type, data or link target)."""
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.REGTYPE:
                data = payload.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                    info.linkname = payload
                tar.addfile(info)
    return path


def test_folder_tar_streams_exactly_its_length(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "gpt2"}')
    (folder / "model.safetensors").write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    long_name = "tokenizer-" + "x" * 150 + ".json"
    (folder / "sub" / long_name).write_text("{}")
    (folder / "empty.txt").write_bytes(b"")
    (folder / ".hidden").write_text("skipped")
    target = tmp_path / "elsewhere.bin"
    target.write_bytes(b"linked content")
    (folder / "linked.bin").symlink_to(target)

    stream = FolderTar(folder)
    chunks = []
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        chunks.append(chunk)
    data = b"".join(chunks)
    assert len(data) == len(stream)
    assert len(data) % tarfile.RECORDSIZE == 0

    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {"config.json", "model.safetensors", f"sub/{long_name}", "empty.txt", "linked.bin"}
        assert all(m.isfile() for m in members.values()), "links inside the folder are stored as the files they point to"
        assert tar.extractfile("model.safetensors").read() == (folder / "model.safetensors").read_bytes()
        assert tar.extractfile("linked.bin").read() == b"linked content"
    out = tmp_path / "out"
    safe_extract(io.BytesIO(data), out)
    assert (out / "sub" / long_name).read_text() == "{}"


def test_folder_tar_refuses_an_empty_folder_or_a_file(tmp_path: Path) -> None:
    with pytest.raises(SaniError, match="no files"):
        FolderTar(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(SaniError, match="not a folder"):
        FolderTar(tmp_path / "f")


@pytest.mark.parametrize("entries, reason", [
    ([("ok.txt", tarfile.REGTYPE, "fine"), ("../evil.txt", tarfile.REGTYPE, "pwned")], "'..'"),
    ([("sub/../../evil.txt", tarfile.REGTYPE, "pwned")], "'..'"),
    ([("/tmp/evil-absolute.txt", tarfile.REGTYPE, "pwned")], "absolute"),
    ([("link", tarfile.SYMTYPE, "/etc/passwd")], "link"),
    ([("link", tarfile.SYMTYPE, "../outside")], "link"),
    ([("ok.txt", tarfile.REGTYPE, "fine"), ("hard", tarfile.LNKTYPE, "ok.txt")], "link"),
    ([("fifo", tarfile.FIFOTYPE, "")], "special"),
    ([("dev", tarfile.CHRTYPE, "")], "special"),
])
def test_crafted_tars_are_refused_before_anything_is_written(tmp_path: Path, entries, reason: str) -> None:
    archive = make_tar(tmp_path / "crafted.tar", entries)
    destination = tmp_path / "dest" / "model"
    with pytest.raises(UnsafeArchiveError) as caught:
        safe_extract(archive, destination)
    assert reason in str(caught.value)
    assert list(destination.iterdir()) == [], "no entry was written, not even the harmless ones"
    assert not (tmp_path / "dest" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_a_link_already_on_disk_does_not_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "dest"
    destination.mkdir()
    (destination / "sub").symlink_to(outside, target_is_directory=True)
    archive = make_tar(tmp_path / "through-link.tar", [("sub/evil.txt", tarfile.REGTYPE, "pwned")])
    with pytest.raises(UnsafeArchiveError, match="outside"):
        safe_extract(archive, destination)
    assert list(outside.iterdir()) == []


def test_a_plain_model_tar_extracts(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "model.tar", [("./config.json", tarfile.REGTYPE, "{}"), ("sub", tarfile.DIRTYPE, ""),
                                                ("sub/vocab.json", tarfile.REGTYPE, "[]")])
    written = safe_extract(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == ["config.json", "sub/vocab.json"]
    assert (tmp_path / "out" / "sub" / "vocab.json").read_text() == "[]"
