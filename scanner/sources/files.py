"""The working tree: paths and directories, honouring .gitignore inside a repository."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from scanner import git
from scanner.sources import Item, SourceError


def read_paths(paths: list[str], *, respect_ignore: bool, warnings: list[str]) -> Iterator[Item]:
    roots = [Path(path) for path in paths]
    missing = [str(root) for root in roots if not root.exists()]
    if missing:
        raise SourceError(f"no such file or directory: {', '.join(missing)}")
    for file in _files(roots, respect_ignore):
        try:
            data = file.read_bytes()
        except OSError as error:
            warnings.append(f"cannot read {_display(file)}: {error.strerror}")
            continue
        yield Item(_display(file), data)


def _files(roots: list[Path], respect_ignore: bool) -> Iterator[Path]:
    for root in roots:
        top = git.toplevel(root if root.is_dir() else root.parent) if respect_ignore else None
        if top is not None:
            yield from (p for p in git.tracked_and_untracked([root.resolve()], top) if p.is_file())
        elif root.is_file():
            yield root
        else:
            yield from _walk(root)


def _walk(root: Path) -> Iterator[Path]:
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d != ".git")
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _display(path: Path) -> str:
    """A path relative to the current directory when it is below it, with forward slashes."""
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    return shown.as_posix()
