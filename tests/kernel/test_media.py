"""The media store (kernel.media): content-addressed keys, atomic writes, and nothing but
well-formed keys ever reaches the disk (no `..`, no NUL, no absolute path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.config import default_media_dir, load_settings
from kernel.media import LocalMediaStore, key_for, sha256_hex, valid_key


def test_a_key_is_the_sha256_of_the_bytes_in_shard_directories(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    data = b"\x89PNG fake"
    key = key_for(data, "image/png")
    digest = sha256_hex(data)
    assert key == f"{digest[:2]}/{digest[2:4]}/{digest}.png"
    store.put(data, key)
    store.put(data, key)  # again: a no-op
    assert store.get(key) == data
    assert (tmp_path / key).read_bytes() == data
    assert store.url(key) == f"/media/{key}"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{digest}.png"]


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "ab/cd/../../../etc/passwd",
        "/etc/passwd",
        "ab/cd/" + "a" * 64 + ".png",  # shards that do not match the digest
        "aa/aa/" + "a" * 64 + ".png\x00.txt",
        "aa/aa/" + "a" * 64 + ".svg",
        "AA/AA/" + "A" * 64 + ".png",
        "",
    ],
)
def test_anything_but_a_well_formed_key_is_refused(tmp_path: Path, key: str) -> None:
    store = LocalMediaStore(tmp_path)
    assert not valid_key(key)
    assert store.get(key) is None
    with pytest.raises(ValueError):
        store.put(b"x", key)


def test_the_media_dir_defaults_to_beside_the_sqlite_database() -> None:
    assert default_media_dir("sqlite+aiosqlite:////srv/tiein/tiein.db") == "/srv/tiein/media"
    assert default_media_dir("sqlite+aiosqlite:///./tiein.db") == "./media"
    assert default_media_dir("postgresql+asyncpg://u@h/db") == "./media"
    settings = load_settings({"TIEIN_MEDIA_DIR": "/data/media"})
    assert settings.media_path == "/data/media"
