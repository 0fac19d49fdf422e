"""The working tree: paths and directories, honouring .gitignore inside a repository."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from scanner import git
from scanner.detect import WINDOW
from scanner.sources import Item, SourceError, prefilter


def read_paths(paths: list[str], *, respect_ignore: bool, warnings: list[str]) -> Iterator[Item]:
    """Every regular file under `paths`. A symbolic link inside the tree is never followed (a
    tracked link can point anywhere, such as the scanning user's own profile); one pointing out
    of the scanned tree is reported as a warning. A path named on the command line is read even
    when it is a link: the user chose it."""
    roots = [Path(path) for path in paths]
    missing = [str(root) for root in roots if not root.exists()]
    if missing:
        raise SourceError(f"no such file or directory: {', '.join(missing)}")
    for file, may_hold in _files(roots, respect_ignore, warnings):
        if may_hold:
            yield from read_file(file, _display(file), warnings)
        else:  # git grep found no prefix in it: counted as scanned, never opened
            yield Item(_display(file), b"")


def read_file(file: Path, shown: str, warnings: list[str]) -> Iterator[Item]:
    """One file's content, window by window; a file that cannot be opened is a warning."""
    try:
        handle = file.open("rb")
    except OSError as error:
        warnings.append(f"cannot read {shown}: {error.strerror}")
        return
    with handle:
        first = handle.read(WINDOW)
        more = iter(functools.partial(handle.read, WINDOW), b"")
        yield Item(shown, first, None, more if len(first) == WINDOW else None)


def _files(
    roots: list[Path], respect_ignore: bool, warnings: list[str]
) -> Iterator[tuple[Path, bool]]:
    """Each file to scan, and whether it may hold a token (False: git grep found no prefix)."""
    for root in roots:
        top = git.toplevel(root if root.is_dir() else root.parent) if respect_ignore else None
        if root.is_file():
            if top is None or root.is_symlink() or _listed(root, top):
                yield root, True
        elif top is not None:
            yield from _repository_files(root, top, warnings)
        else:
            yield from ((path, True) for path in _walk(root, warnings))


def _repository_files(root: Path, top: Path, warnings: list[str]) -> Iterator[tuple[Path, bool]]:
    """What git lists under `root`, .gitignore applied; git grep narrows what is read."""
    search = prefilter.start(root.resolve(), top)
    listed = git.tracked_and_untracked([root.resolve()], top)
    holding = search.holding() if search is not None else None
    for path in listed:
        try:
            mode = os.lstat(path).st_mode  # one stat, not one for "link?" and one for "file?"
        except OSError:
            continue  # listed by git, gone from the work tree
        if stat.S_ISLNK(mode):
            _note_link(path, root, warnings)
        elif stat.S_ISREG(mode):
            yield path, holding is None or path in holding


def _listed(file: Path, top: Path) -> bool:
    return any(True for _ in git.tracked_and_untracked([file.resolve()], top))


def _walk(root: Path, warnings: list[str]) -> Iterator[Path]:
    """Files top-down in name order, with a stack instead of recursion: a tree thousands of
    directories deep is walked like any other."""
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            warnings.append(f"cannot read {_display(directory)}: {error.strerror}")
            continue
        below: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                _note_link(path, root, warnings)
            elif entry.is_dir(follow_symlinks=False):
                if entry.name != ".git":
                    below.append(path)
            elif entry.is_file(follow_symlinks=False):
                yield path
        pending.extend(reversed(below))


def _note_link(link: Path, root: Path, warnings: list[str]) -> None:
    """A link out of the scanned tree is worth a word; one inside it points at a file the scan
    reads anyway."""
    target = link.resolve()
    base = (root if root.is_dir() else root.parent).resolve()
    if not target.is_relative_to(base):
        shown = _display(link)
        warnings.append(f"{shown} is a symbolic link out of the scanned tree: not followed")


def _display(path: Path) -> str:
    """A path relative to the current directory when it is below it, with forward slashes.
    Never resolved: a link is shown as the link, not as where it points."""
    here = os.path.abspath(os.getcwd())
    plain = os.path.abspath(path)
    if plain.startswith(here + os.sep):  # the usual case, without building Paths
        return plain[len(here) + 1 :].replace(os.sep, "/")
    absolute = Path(plain)
    try:
        shown = absolute.relative_to(os.path.abspath(os.getcwd()))
    except ValueError:
        shown = path
    return shown.as_posix()
