"""Where styles live, and which style names are acceptable.

A style is looked up first in the user's data directory (so a user can shadow a shipped
style with their own training), then among the styles shipped inside the package. Names
are restricted to a safe slug so a name can never walk out of those folders
(``../../etc``) or collide across case-insensitive file systems.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

#: The application's folder name under the platform's data and cache folders.
APP = "synaesthete"

STYLE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

#: The style used when none is named.
DEFAULT_STYLE = "squiggle"

#: Styles shipped with the package.
SHIPPED_STYLES_DIR = Path(__file__).resolve().parent / "styles"


class StyleNotFoundError(FileNotFoundError):
    """No style of that name in the user's data directory or among the shipped styles."""


def check_style_name(name: str) -> str:
    """Return ``name`` if it is a valid style name, else raise ``ValueError`` saying why."""
    if not isinstance(name, str) or not STYLE_NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"invalid style name {name!r}: use 1-64 characters of lowercase letters, digits, "
            "'_' or '-', starting with a letter or digit (e.g. 'squiggle')"
        )
    return name


def user_data_dir() -> Path:
    """``$SYNAESTHETE_HOME`` if set, else the platform's per-user data folder (platformdirs:
    ``~/.local/share/synaesthete`` or ``$XDG_DATA_HOME``, ``~/Library/Application
    Support/synaesthete``, ``%LOCALAPPDATA%\\synaesthete``)."""
    override = os.environ.get("SYNAESTHETE_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def user_cache_dir() -> Path:
    """``$SYNAESTHETE_CACHE`` if set, else the platform's per-user cache folder (platformdirs:
    ``~/.cache/synaesthete`` or ``$XDG_CACHE_HOME``, ``~/Library/Caches/synaesthete``,
    ``%LOCALAPPDATA%\\synaesthete\\Cache``): things the project can rebuild (compiled
    generators), safe to delete."""
    override = os.environ.get("SYNAESTHETE_CACHE")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def user_styles_dir() -> Path:
    return user_data_dir() / "styles"


def style_dir_candidates(name: str) -> list[Path]:
    """The folders that may hold style ``name``, in lookup order."""
    check_style_name(name)
    return [user_styles_dir() / name, SHIPPED_STYLES_DIR / name]


def find_style_dir(name: str) -> Path:
    """The first folder holding a ``config.json`` for style ``name``."""
    candidates = style_dir_candidates(name)
    for folder in candidates:
        if (folder / "config.json").is_file():
            return folder
    raise StyleNotFoundError(
        f"style {name!r} not found in {', '.join(str(c) for c in candidates)}; "
        f"available: {', '.join(list_styles()) or 'none'}"
    )


def list_styles() -> list[str]:
    """Names of all styles found in either location, sorted."""
    names = set()
    for root in (user_styles_dir(), SHIPPED_STYLES_DIR):
        if root.is_dir():
            names |= {
                p.name
                for p in root.iterdir()
                if (p / "config.json").is_file() and STYLE_NAME_PATTERN.fullmatch(p.name)
            }
    return sorted(names)
