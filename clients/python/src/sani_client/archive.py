"""Tar archives of model folders: a streamed writer for uploads and a safe extractor for downloads.

The upload never builds the tar in memory or on disk: :class:`FolderTar` knows its exact size in advance (from
the entries' headers and the files' sizes) and produces its bytes as they are read, a file at a time, so the
request carries a ``Content-Length`` and a model of any size streams through a small buffer.

:func:`safe_extract` refuses any entry that would land outside the destination folder (absolute names, ``..``),
links, devices and FIFOs, before writing anything.
"""

from __future__ import annotations

import io
import os
from pathlib import Path, PurePosixPath
import shutil
import tarfile
from typing import BinaryIO, Iterator, List, Tuple, Union

from .errors import SaniError, UnsafeArchiveError

_BLOCK = tarfile.BLOCKSIZE  # 512
_RECORD = tarfile.RECORDSIZE  # 20 blocks: tarfile pads the archive to a multiple of it
_CHUNK = 1 << 20


def _padding(size: int, unit: int) -> int:
    return (unit - size % unit) % unit


class FolderTar(io.RawIOBase):
    """A readable stream of the tar of a folder's regular files (GNU format: long names and sizes over 8 GiB).

    Names are relative to the folder, with ``/``; symbolic links inside the folder (a Hugging Face cache
    snapshot is made of them) are followed and stored as the files they point to; hidden files and folders
    (``.git``, ``.cache``, ``.gitattributes``) are left out. ``len(stream)`` is the
    exact number of bytes the stream yields.
    """

    def __init__(self, folder: Union[str, "os.PathLike[str]"]) -> None:
        super().__init__()
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SaniError(f"{self.folder} is not a folder")
        self._entries: List[Tuple[Path, tarfile.TarInfo, bytes]] = []
        total = 0
        for path in sorted(self._files(self.folder)):
            relative = path.relative_to(self.folder).as_posix()
            info = tarfile.TarInfo(relative)
            info.size = path.stat().st_size
            info.mode = 0o644
            info.mtime = int(path.stat().st_mtime)
            info.type = tarfile.REGTYPE
            header = info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
            self._entries.append((path, info, header))
            total += len(header) + info.size + _padding(info.size, _BLOCK)
        if not self._entries:
            raise SaniError(f"{self.folder} has no files to upload")
        end = total + 2 * _BLOCK
        self._size = end + _padding(end, _RECORD)
        self._trailer = self._size - total  # two zero blocks, then zeros up to a whole record
        self._chunks = self._generate()
        self._pending = b""

    @staticmethod
    def _files(folder: Path) -> Iterator[Path]:
        for root, dirs, files in os.walk(folder, followlinks=False):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith("."):
                    continue
                path = Path(root) / name
                if path.is_file():  # follows links; skips sockets, FIFOs and dangling links
                    yield path

    @property
    def names(self) -> List[str]:
        return [info.name for _, info, _ in self._entries]

    def __len__(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def _generate(self) -> Iterator[bytes]:
        for path, info, header in self._entries:
            yield header
            sent = 0
            with open(path, "rb") as f:
                while sent < info.size:
                    chunk = f.read(min(_CHUNK, info.size - sent))
                    if not chunk:
                        raise SaniError(f"{path} shrank while it was being uploaded")
                    sent += len(chunk)
                    yield chunk
            yield b"\0" * _padding(info.size, _BLOCK)
        yield b"\0" * self._trailer

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        view = memoryview(buffer)
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _check_member(member: tarfile.TarInfo, root: Path) -> Path:
    """The path a member extracts to, or UnsafeArchiveError if it must not be extracted."""
    name = member.name
    if not name or "\0" in name:
        raise UnsafeArchiveError(name, "empty or NUL in the name")
    if name.startswith(("/", "\\")) or PurePosixPath(name).is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(name, "absolute path")
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        raise UnsafeArchiveError(name, "'..' in the path")
    if member.issym() or member.islnk():
        raise UnsafeArchiveError(name, f"link to {member.linkname!r} (links are not extracted)")
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchiveError(name, "device, FIFO or other special file")
    target = (root / Path(*[p for p in parts if p not in ("", ".")])).resolve()
    if target != root and root not in target.parents:
        raise UnsafeArchiveError(name, "resolves outside the destination folder")
    return target


def safe_extract(archive: Union[str, "os.PathLike[str]", BinaryIO], destination: Union[str, "os.PathLike[str]"],
                 max_entries: int = 100_000) -> List[Path]:
    """Extracts a tar into ``destination`` after checking every entry; returns the files written.

    Refuses, before writing anything: absolute names, ``..`` components, symbolic and hard links, devices,
    FIFOs, and any name that resolves outside ``destination`` (through a link already on disk, say).
    """
    root = Path(destination)
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    if isinstance(archive, (str, os.PathLike)):
        opened = tarfile.open(archive, mode="r:")
    else:
        opened = tarfile.open(fileobj=archive, mode="r:")
    written: List[Path] = []
    with opened as tar:
        members = tar.getmembers()
        if len(members) > max_entries:
            raise UnsafeArchiveError(f"{len(members)} entries", f"more than {max_entries} entries")
        targets = [(member, _check_member(member, root)) for member in members]
        for member, target in targets:
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            # The parent may have been swapped for a link since the check: resolve again right before writing.
            if root not in target.parent.resolve().parents and target.parent.resolve() != root:
                raise UnsafeArchiveError(member.name, "resolves outside the destination folder")
            source = tar.extractfile(member)
            if source is None:
                raise UnsafeArchiveError(member.name, "no data")
            partial = target.with_name(target.name + ".partial")
            with source, open(partial, "wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
            os.replace(partial, target)
            written.append(target)
    return written
