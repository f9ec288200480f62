"""What decides how a file is read: hcs's reading code, the libraries it reads with, and
the settings of hcs.toml that reading uses, as one short hash stored with every file.

A file whose content is stored already is not read again, unless the store holds a
reading that another hash made: then this hcs, with these settings, might read the same
cells differently (a vocabulary spelling added to hcs.toml, a header synonym, an upgrade
that reads IDs typed with dashes), and the file is read again (pipeline.py). No one has
to remember to bump a number; a change that reads nothing differently costs one rerun
that reads every file once."""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from functools import cache
from importlib import metadata, resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from importlib.resources.abc import Traversable

    from .config import Settings

# the tables whose change may change a file's records, issues or sheets; and every module
# of hcs: a list of the modules that read would have to be kept by hand, and an upgrade
# that leaves reading as it was costs no more than one rerun that reads every file again
TABLES = ("headers.toml", "vocab.toml", "checks.toml", "divisions.toml")
LIBRARIES = ("python-calamine", "pypinyin", "zhconv", "python-stdnum")
# settings that only label or name what was read
NOT_READING = ("source", "labels", "city")


def fingerprint(settings: Settings) -> str:
    """The reading of a file by this hcs under `settings` (16 hex digits)."""
    used = {k: v for k, v in settings.to_dict().items() if k not in NOT_READING}
    text = json.dumps(used, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(_code() + text.encode()).hexdigest()[:16]


@cache
def _code() -> bytes:
    digest = hashlib.sha256()
    root = resources.files("handcraft_stats")
    for name, part in sorted(_modules(root, "")):
        digest.update(name.encode() + b"\0" + part.read_bytes())
    for name in TABLES:
        digest.update(name.encode() + b"\0" + root.joinpath("defaults", name).read_bytes())
    for lib in LIBRARIES:
        try:
            version = metadata.version(lib)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{lib}={version}\0".encode())
    digest.update(f"{sys.version_info[:2]} {unicodedata.unidata_version}".encode())
    return digest.digest()


def _modules(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for part in folder.iterdir():
        if part.is_dir() and part.name != "__pycache__":
            yield from _modules(part, f"{prefix}{part.name}/")
        elif part.name.endswith(".py"):
            yield f"{prefix}{part.name}", part
