"""The working tree: paths and directories, honouring .gitignore inside a repository.

Paths are plain strings, spelled as `pathlib` spells them (`./a//b/` is `a/b`), and git runs
through `scanner.gitspawn`: a tree scan imports neither `pathlib` nor `subprocess`.
"""

from __future__ import annotations

import os
import stat

from scanner import gitspawn

TYPE_CHECKING = False  # typing's, without importing typing (mypy reads this the same)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from scanner.findings import Finding
    from scanner.sources import Item

LIST = ("ls-files", "-z", "--cached", "--others", "--exclude-standard")


def read_paths(
    paths: list[str], *, respect_ignore: bool, warnings: list[str]
) -> tuple[Iterator[Item], Callable[[list[Finding]], list[Finding]]]:
    """Every regular file under `paths`, and how to put the findings back in the order of the
    listing (pathlib's, path by path): the files that may hold a token are read first, as
    git grep names them. A symbolic link inside the tree is never followed (a tracked link can
    point anywhere, such as the scanning user's own profile); one pointing out of the scanned
    tree is reported as a warning. A path named on the command line is read even when it is a
    link: the user chose it.

    In a repository, the git processes that list the files and find the ones that may hold a
    token start now, before the first item is asked for."""
    roots = [_spelled(path) for path in paths]
    missing = [root for root in roots if not os.path.exists(root)]
    if missing:
        from scanner.sources import SourceError

        raise SourceError(f"no such file or directory: {', '.join(missing)}")
    first = _repository(roots[0]) if respect_ignore and os.path.isdir(roots[0]) else None
    order = _Order()
    return _items(roots, first, respect_ignore, warnings, order), order.sort


class _Order:
    """Where each file stands in the listing, for findings found out of that order."""

    def __init__(self) -> None:
        self.rank: dict[str, int] = {}

    def add(self, shown: str) -> str:
        self.rank.setdefault(shown, len(self.rank))
        return shown

    def sort(self, findings: list[Finding]) -> list[Finding]:
        last = len(self.rank)
        return sorted(findings, key=lambda finding: self.rank.get(finding.path, last))


def _items(
    roots: list[str],
    first: _Listing | None,
    respect_ignore: bool,
    warnings: list[str],
    order: _Order,
) -> Iterator[Item]:
    from scanner.sources import Item

    for file, shown, may_hold in _files(roots, first, respect_ignore, warnings, order):
        if may_hold:
            yield from read_file(file, shown, warnings)
        else:  # git grep found no prefix in it: counted as scanned, never opened
            yield Item(shown, b"")


def read_file(file: str, shown: str, warnings: list[str]) -> Iterator[Item]:
    """One file's content, window by window; a file that cannot be opened is a warning."""
    import functools

    from scanner.detect import WINDOW
    from scanner.sources import Item

    try:
        handle = open(file, "rb")  # noqa: SIM115 - closed below, once its windows are read
    except OSError as error:
        warnings.append(f"cannot read {shown}: {error.strerror}")
        return
    with handle:
        first = handle.read(WINDOW)
        more = iter(functools.partial(handle.read, WINDOW), b"")
        yield Item(shown, first, None, more if len(first) == WINDOW else None)


def _files(
    roots: list[str],
    first: _Listing | None,
    respect_ignore: bool,
    warnings: list[str],
    order: _Order,
) -> Iterator[tuple[str, str, bool]]:
    """Each file to scan, as shown, and whether it may hold a token (False: git grep found no
    prefix in it)."""
    for index, root in enumerate(roots):
        if os.path.isfile(root):
            if not respect_ignore or os.path.islink(root) or _listed(root):
                yield root, order.add(_display(root)), True
            continue
        listing = first if index == 0 else _repository(root) if respect_ignore else None
        names = listing.names() if listing is not None else None
        if listing is None or names is None:
            yield from ((path, order.add(_display(path)), True) for path in _walk(root, warnings))
            continue
        yield from _listed_files(listing, names, root, warnings, order)


def _listed_files(
    listing: _Listing, names: list[str], root: str, warnings: list[str], order: _Order
) -> Iterator[tuple[str, str, bool]]:
    """The files git lists: first those git grep names, as it names them (they are scanned
    while it searches on), then the others, unread when it named every file that holds a
    prefix."""
    shown_below = _shown_below(listing.base)
    files = {}
    for name, path in _regular_files(listing.base, names, root, warnings):
        files[name] = path, order.add(_display(path) if shown_below is None else shown_below + name)
    search = listing.search
    for name in search.names() if search is not None else ():
        named = files.pop(name, None)  # what is left in `files` is what git grep did not name
        if named is not None:
            yield *named, True
    unknown = search is None or not search.complete()
    for path, shown in files.values():
        yield path, shown, unknown


def _regular_files(
    base: str, names: list[str], root: str, warnings: list[str]
) -> Iterator[tuple[str, str]]:
    """Each listed name that is a regular file in the work tree, with its path; a link is noted
    (`_note_link`), never followed."""
    below = base.rstrip(os.sep) + os.sep
    for name in names:
        path = below + name
        try:
            mode = os.lstat(path).st_mode  # one stat, not one for "link?" and one for "file?"
        except OSError:
            continue  # listed by git, gone from the work tree
        if stat.S_ISLNK(mode):
            _note_link(path, root, warnings)
        elif stat.S_ISREG(mode):
            yield name, path


class _Listing:
    """What git lists under a directory (.gitignore applied), and the git grep that finds what
    may hold a token there: both git processes run side by side, started when this is made."""

    def __init__(self, root: str) -> None:
        self.base = os.path.realpath(root)
        from scanner.sources import prefilter

        self.search = prefilter.start(self.base)  # first: the search takes longer than the list
        self._process = gitspawn.Git(LIST, cwd=self.base)

    def names(self) -> list[str] | None:
        """The files' names under `base`, in pathlib's order; None when `base` is in no work
        tree."""
        out, err = self._process.communicate()
        if self._process.returncode != 0:
            if self.search is not None:
                self.search.stop()
            if not _in_work_tree(self.base):
                return None
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise gitspawn.GitError(lines[-1] if lines else "git ls-files failed")
        names = set(filter(None, out.decode("utf-8", "surrogateescape").split("\0")))
        return sorted(names, key=_parts)


def _repository(root: str) -> _Listing | None:
    try:
        return _Listing(root)
    except OSError:  # no git at all: the tree is walked
        return None


def _parts(name: str) -> list[str]:
    """The order `pathlib` sorts paths in: part by part, not character by character."""
    return name.split("/")


def _listed(file: str) -> bool:
    """A named file is scanned unless git ignores it; outside a work tree it always is."""
    base = os.path.realpath(os.path.dirname(file) or ".")
    try:
        process = gitspawn.Git([*LIST, "--", os.path.join(base, os.path.basename(file))], cwd=base)
    except OSError:
        return True
    out, err = process.communicate()
    if process.returncode == 0:
        return out != b""
    if not _in_work_tree(base):
        return True
    lines = err.decode("utf-8", "replace").strip().splitlines()
    raise gitspawn.GitError(lines[-1] if lines else "git ls-files failed")


def _in_work_tree(directory: str) -> bool:
    try:
        gitspawn.run("rev-parse", "--show-toplevel", cwd=directory)
    except (gitspawn.GitError, OSError):
        return False
    return True


def _walk(root: str, warnings: list[str]) -> Iterator[str]:
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
        below: list[str] = []
        for entry in entries:
            if entry.is_symlink():
                _note_link(entry.path, root, warnings)
            elif entry.is_dir(follow_symlinks=False):
                if entry.name != ".git":
                    below.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                yield entry.path
        pending.extend(reversed(below))


def _note_link(link: str, root: str, warnings: list[str]) -> None:
    """A link out of the scanned tree is worth a word; one inside it points at a file the scan
    reads anyway."""
    target = os.path.realpath(link)
    base = os.path.realpath(root if os.path.isdir(root) else os.path.dirname(root) or ".")
    if not _below(target, base):
        shown = _display(link)
        warnings.append(f"{shown} is a symbolic link out of the scanned tree: not followed")


def _below(path: str, base: str) -> bool:
    """`path` is `base` or inside it (by name, as `PurePath.is_relative_to`)."""
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def _shown_below(base: str) -> str | None:
    """How `_display` shows every file below the absolute, normalized `base` when `base` is
    the current directory or inside it: this prefix and their names; else None (ask it)."""
    if os.sep != "/":
        return None
    here = os.path.abspath(os.getcwd())
    if base == here:
        return ""
    if _below(base, here):
        return base[len(here.rstrip(os.sep)) + 1 :] + "/"
    return None


def _display(path: str) -> str:
    """A path relative to the current directory when it is below it, with forward slashes.
    Never resolved: a link is shown as the link, not as where it points."""
    here = os.path.abspath(os.getcwd())
    plain = os.path.abspath(path)
    if plain == here:
        return "."
    if _below(plain, here):
        return plain[len(here.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    return path.replace(os.sep, "/")


def _spelled(path: str) -> str:
    """`path` as `str(pathlib.PurePath(path))` spells it: repeated slashes and `.` parts
    dropped, `""` is `.`, and (POSIX) exactly two leading slashes kept."""
    if os.sep != "/":
        from pathlib import PurePath

        return str(PurePath(path))
    rest = path.lstrip("/")
    root = {0: "", 2: "//"}.get(len(path) - len(rest), "/")
    parts = [part for part in rest.split("/") if part and part != "."]
    return root + "/".join(parts) if root or parts else "."
