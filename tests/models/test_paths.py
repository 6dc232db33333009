"""The per-user data and cache folders: the project's overrides first, then the platform's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from models.paths import user_cache_dir, user_data_dir, user_styles_dir


def test_the_overrides_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAESTHETE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SYNAESTHETE_CACHE", str(tmp_path / "cache"))
    assert user_data_dir() == tmp_path / "home"
    assert user_styles_dir() == tmp_path / "home" / "styles"
    assert user_cache_dir() == tmp_path / "cache"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_on_linux_the_xdg_folders_are_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SYNAESTHETE_HOME", raising=False)
    monkeypatch.delenv("SYNAESTHETE_CACHE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cached"))
    assert user_data_dir() == tmp_path / "data" / "synaesthete"
    assert user_cache_dir() == tmp_path / "cached" / "synaesthete"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert user_data_dir() == Path.home() / ".local" / "share" / "synaesthete"
    assert user_cache_dir() == Path.home() / ".cache" / "synaesthete"
