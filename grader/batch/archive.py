"""Reading a student's zip safely: every member inside the extraction folder, within caps.

A zip is a stranger's file: its member names may climb out of the folder (`../../x`, `/etc/x`), it
may hold links, and its sizes may lie (a zip bomb). Members are extracted by reading at most the
cap's number of bytes, whatever the header says, and links are not extracted at all.
"""
from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_TOTAL_BYTES = 50 << 20
MAX_FILES = 2000
_CHUNK = 1 << 16


class ArchiveError(Exception):
    """The zip cannot be used; the message says why, for the teacher."""


@dataclass(frozen=True)
class Caps:
    """How much one student's zip may unpack to."""

    total_bytes: int = MAX_TOTAL_BYTES
    files: int = MAX_FILES


def _safe_relative(name: str) -> PurePosixPath | None:
    """The member's path inside the extraction folder, or None when it would land outside."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return path


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _copy_capped(source, target: Path, budget: int, caps: Caps) -> int:
    """Copy at most `budget` bytes; return how many were copied, or raise when there were more."""
    copied = 0
    with target.open("wb") as out:
        while chunk := source.read(min(_CHUNK, budget - copied + 1)):
            copied += len(chunk)
            if copied > budget:
                raise ArchiveError(f"it unpacks to more than {caps.total_bytes} bytes")
            out.write(chunk)
    return copied


def extract(archive: Path, folder: Path, caps: Caps = Caps()) -> list[str]:
    """Unpack `archive` into `folder`; return the names of members left out (unsafe paths, links).

    Raises `ArchiveError` for a zip that cannot be read or breaks a cap."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > caps.files:
                raise ArchiveError(f"it holds {len(members)} files, more than {caps.files}")
            left_out, budget = [], caps.total_bytes
            for info in members:
                relative = _safe_relative(info.filename)
                if relative is None or _is_link(info):
                    left_out.append(info.filename)
                    continue
                target = folder.joinpath(*relative.parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(info) as source:
                    budget -= _copy_capped(source, target, budget, caps)
            return left_out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as problem:
        raise ArchiveError(f"it is not a readable zip ({problem})") from None
    except (OSError, RuntimeError) as problem:  # a corrupt member, an encrypted one, a bad CRC
        raise ArchiveError(f"a member cannot be read ({problem})") from None
