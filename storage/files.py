"""Kesu's own store of the files people sent: a folder (`[files] store`), one sub-folder
per complaint. A file is written under a temporary name and renamed into place, so a
crash never leaves half a file under its real name; its SHA-256 is kept in the database
and checked when it is read back."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Characters that are safe in a file name on every file system Kesu may run on.
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


@dataclass(frozen=True)
class Stored:
    path: str  # relative to the store, with forward slashes
    size: int
    sha256: str


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, folder: str, name: str, content: bytes) -> Stored:
        relative = PurePosixPath(safe_name(folder), safe_name(name))
        target = self.root / relative
        # Customers' letters and photos: readable by Kesu's own user only.
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        temporary = target.with_name(target.name + ".part")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
        return Stored(str(relative), len(content), hashlib.sha256(content).hexdigest())

    def read(self, path: str, sha256: str | None = None) -> bytes | None:
        """The file's bytes; None when it is gone or not what was kept."""
        target = self.root / PurePosixPath(path)
        try:
            content = target.read_bytes()
        except FileNotFoundError:
            return None
        if sha256 is not None and hashlib.sha256(content).hexdigest() != sha256:
            return None
        return content


# File systems allow 255 bytes a name (not characters: a Chinese character is three in
# UTF-8); this leaves room for the ".part" of the write in progress and the row's id.
NAME_BYTES = 200
EXTENSION_BYTES = 16


def safe_name(name: str, limit: int = NAME_BYTES) -> str:
    """A file or folder name with nothing that climbs out of the store or breaks a path,
    at most `limit` bytes in UTF-8, its extension kept."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "file"
    stem, dot, extension = cleaned.rpartition(".")
    if not dot or not stem or len(extension.encode()) > EXTENSION_BYTES:
        stem, extension = cleaned, ""
    suffix = f".{extension}" if extension else ""
    budget = limit - len(suffix.encode())
    # Cut on a character's boundary: a half character would be no name at all.
    stem = stem.encode()[:budget].decode("utf-8", "ignore") or "file"
    return stem + suffix
