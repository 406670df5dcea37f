"""Where uploaded images live: a small storage interface and its local-disk form.

Objects are content-addressed: the key of some bytes is made from their SHA-256
(`ab/cd/abcd….webp`), so the same bytes are stored once and a key never changes meaning;
that is why they are served with an immutable cache header. `LocalMediaStore` keeps them
under `TIEIN_MEDIA_DIR` and writes each one to a temporary file renamed into place, so a
reader never sees half an object. An object store (S3 and the like) replaces it by
implementing the same three methods.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

# The extensions we store, and the Content-Type each is served with.
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
EXTENSIONS = {content_type: ext for ext, content_type in CONTENT_TYPES.items()}
_KEY = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.(jpg|png|webp)$")
URL_PREFIX = "/media/"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_for(data: bytes, content_type: str) -> str:
    """The content address of `data`: two levels of shard directories, the digest, the type."""
    digest = sha256_hex(data)
    return f"{digest[:2]}/{digest[2:4]}/{digest}.{EXTENSIONS[content_type]}"


def valid_key(key: str) -> bool:
    """Whether `key` is one `key_for` makes (no `..`, no NUL, no other characters, and the
    shard directories match the digest)."""
    match = _KEY.match(key)
    return bool(match) and match[3].startswith(match[1] + match[2])


def content_type_of(key: str) -> str:
    return CONTENT_TYPES[key.rsplit(".", 1)[-1]]


class MediaStore(Protocol):
    """Content-addressed storage of media objects."""

    def put(self, data: bytes, key: str) -> None:
        """Store `data` under `key` (made with `key_for`); storing it again is a no-op."""

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, None when there are none (or the key is not one of ours)."""

    def url(self, key: str) -> str:
        """Where a browser fetches the object."""


class LocalMediaStore:
    """Objects as files under `root` (created on first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path | None:
        """The file of `key`, None for anything that is not a well-formed key."""
        return self.root / key if valid_key(key) else None

    def put(self, data: bytes, key: str) -> None:
        target = self.path(key)
        if target is None:
            raise ValueError(f"not a media key: {key!r}")
        if target.exists():
            return  # same key, same bytes: content addressing
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        target = self.path(key)
        if target is None or not target.is_file():
            return None
        return target.read_bytes()

    def url(self, key: str) -> str:
        return URL_PREFIX + key


def media_store(media_dir: str) -> MediaStore:
    """The configured store (today always the local disk)."""
    return LocalMediaStore(media_dir)
