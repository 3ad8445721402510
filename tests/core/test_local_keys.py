"""The local secret and encryption keys: made once, and every process starting at the same time reads that one."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from posture.local_keys import new_fernet_key, read_or_create


def test_a_key_is_made_once_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "encryption_key"
    first = read_or_create(path, new_fernet_key)
    assert read_or_create(path, new_fernet_key) == first
    assert path.read_text() == first + "\n" and oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir()] == ["encryption_key"]  # no temporary file left behind


def test_processes_starting_together_all_get_the_same_complete_key(tmp_path: Path) -> None:
    paths = [tmp_path / f"key-{i}" for i in range(20)]
    with ProcessPoolExecutor(4) as pool:
        for path in paths:
            keys = list(pool.map(read_or_create, [path] * 8, [new_fernet_key] * 8))
            assert len(set(keys)) == 1 and len(keys[0]) == 44, keys
