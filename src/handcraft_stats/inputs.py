"""The roster files named on the command line: folders walked, links followed once."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import EnvironmentProblem, UsageError
from .read import KNOWN

# folders a disk or share keeps for itself, unreadable to users and holding no roster
SYSTEM_FOLDERS = frozenset({"System Volume Information", "lost+found", "RECYCLER", "Recycled"})


def find_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """`find_inputs` without the folders that could not be read."""
    found, ignored, _ = find_inputs(paths)
    return found, ignored


def find_inputs(paths: Iterable[Path]) -> tuple[list[Path], list[str], list[tuple[str, str]]]:
    """Expand folders recursively (skipping ~$ lock files and hidden files). Linked folders
    are followed once: a link to a folder that contains it (a symlink loop) is not
    followed, a folder already walked is not walked again, and a file reached twice is
    read once. Returns the files, the files ignored (not rosters by their extension) and
    the folders that could not be listed, with why (no permission): their rosters are
    unknown, so the run names them as refused. A folder could be skipped without a word
    (exit 0, its rosters in no figure); with nothing else found it is exit 3, not "no
    roster files found"."""
    found: list[Path] = []
    ignored: list[str] = []
    unreadable: list[tuple[str, str]] = []
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def cannot_list(exc: OSError) -> None:
        folder = Path(exc.filename or "")
        if folder.name in SYSTEM_FOLDERS or folder.name.startswith("$"):
            return  # a disk's or share's own folder (System Volume Information, $RECYCLE.BIN)
        unreadable.append((text_of(folder), exc.strerror or str(exc)))

    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p, followlinks=True, onerror=cannot_list):
                here = _identity(Path(root))
                if here in seen_dirs:
                    dirs[:] = []
                    continue
                seen_dirs.add(here)
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and not _loops(Path(root), d)
                )
                for f in files:
                    fp = Path(root) / f
                    if f.startswith((".", "~$")):
                        continue
                    if fp.suffix.lower() not in KNOWN:
                        ignored.append(str(fp))
                    elif (key := _identity(fp)) not in seen_files:
                        seen_files.add(key)
                        found.append(fp)
        elif p.exists():
            found.append(p)
        else:
            raise UsageError(f"no such file or folder: {p}")
    if not found and unreadable:
        folder, why = unreadable[0]
        raise EnvironmentProblem(f"cannot read folder {folder}: {why}")
    if not found:
        other = f"; other files: {', '.join(sorted(ignored)[:3])}" if ignored else ""
        zipped = " (unpack archives first)" if any(
            f.lower().endswith((".zip", ".rar", ".7z")) for f in ignored
        ) else ""  # fmt: skip
        raise UsageError(
            f"no roster files found (looked for .xlsx .xlsm .xls .ods .csv .txt){other}{zipped}"
        )
    return (sorted(dict.fromkeys(found), key=lambda x: x.as_posix()), sorted(ignored),
            sorted(unreadable))  # fmt: skip


def _loops(root: Path, name: str) -> bool:
    """A linked folder that is `root` itself or one of its parents."""
    link = root / name
    if not link.is_symlink():
        return False
    try:
        return root.resolve().is_relative_to(link.resolve())
    except (OSError, RuntimeError):
        return True


def _identity(p: Path) -> tuple[int, int]:
    """(device, inode) of what the path leads to; a broken or looping link is itself."""
    try:
        st = p.stat()
    except OSError:
        st = p.lstat()
    return st.st_dev, st.st_ino


def text_of(path: Path | str) -> str:
    """A path (or file name) as text to show and store. A name that is no UTF-8 (a zip
    made on Chinese Windows gives GBK names) reaches Python with its bytes escaped as
    lone surrogates, which no UTF-8 output or DuckDB column takes: the run ended with
    exit 4 part-way, its period never relinked. Its bytes are read as GB18030, else
    shown with replacement characters."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = os.fsencode(text)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")
