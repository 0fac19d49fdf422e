"""Which files of a work tree can hold a token, asked of `git grep` (multi-threaded C) before
any file is read in Python: on a typical tree nearly every file holds no registered prefix
and is never opened here.

The patterns are every registered prefix as ASCII and as UTF-16 (both byte orders: `o\\0i\\0`...),
matched in every file, binary ones included (`-a`), so neither git's binary guess nor a
`.gitattributes` of the scanned repository decides what is read. A file holding none of them
cannot hold a token in any reading `scanner.detect` makes. It needs git's Perl-compatible
regexes (`-P`: a NUL can be written only there); when git lacks them, or says anything at all
on stderr (an unreadable file, say), the answer is "unknown" and every file is read as before.
The files it names are read first, as it names them, and the findings are put back in the
listing's order afterwards (`scanner.sources.files`).
The scanned repository's settings cannot change the names git prints (`--no-full-name`) nor
send it into submodules, which no listing holds (`--no-recurse-submodules`).
"""

from __future__ import annotations

from scanner import formats, gitspawn

TYPE_CHECKING = False  # typing's, without importing typing (mypy reads this the same)
if TYPE_CHECKING:
    from collections.abc import Iterator


def _patterns() -> tuple[str, str]:
    """The prefixes as ASCII (`oi_pat_|oai_|...`), and as UTF-16 (`o\\x00i\\x00_...|...`): the
    characters with a NUL between each two, which both byte orders hold (little-endian adds one
    after, big-endian one before). Two patterns, not one: PCRE finds a pattern whose every
    branch is plain text far faster than one where NUL branches are mixed in (on a tree of
    1,400 files, 13 ms against 19 ms)."""
    prefixes = [fmt.prefix for fmt in formats.REGISTRY]
    return "|".join(prefixes), "|".join("\\x00".join(prefix) for prefix in prefixes)


# `git grep --untracked` walks the work tree as `git status` does, ignore rules applied, so it
# never looks at a tracked file that an ignore rule matches (a `secret.env` added with
# `git add -f` under `*.env`): those are listed apart, and read as if git grep had named them.
IGNORED_BUT_TRACKED = ("ls-files", "-z", "--cached", "--ignored", "--exclude-standard")


class PrefixSearch:
    """A `git grep` started now in the directory `root`, and the listing of the tracked files
    it skips. Started before the file listing, they run beside it; the names are read as git
    finds them, so the files they name are scanned while it searches the rest."""

    def __init__(self, root: str) -> None:
        command = ["-c", "grep.fallbackToNoIndex=false", "grep", "--no-color", "--no-full-name"]
        command += ["--no-recurse-submodules", "-l", "-z", "-a", "--untracked", "--no-textconv"]
        ascii_forms, utf16_forms = _patterns()
        command += ["-P", "-e", ascii_forms, "-e", utf16_forms]
        self._process = gitspawn.Git(command, cwd=root, extra_env={"LC_ALL": "C"})
        try:
            self._skipped = gitspawn.Git(IGNORED_BUT_TRACKED, cwd=root)
        except BaseException:
            self._process.kill()
            raise

    def names(self) -> Iterator[str]:
        """The names (relative to `root`) of the files that may hold a prefix: those git grep
        finds one in, as it finds them, then the tracked files it did not search. Left
        unfinished, both processes are ended."""
        try:
            for process in (self._process, self._skipped):
                held = b""
                for chunk in process.chunks():
                    *found, held = (held + chunk).split(b"\0")
                    for name in found:
                        yield name.decode("utf-8", "surrogateescape")
        finally:
            self.stop()  # reaps both (a process that has ended is only waited for)

    def stop(self) -> None:
        """End the search, read or not."""
        self._process.kill()
        self._skipped.kill()

    def complete(self) -> bool:
        """Whether `names()` named every file that may hold a prefix: both git processes ended
        well and said nothing on stderr. Asked once `names()` is read to its end."""
        grep, skipped = self._process, self._skipped
        searched = grep.returncode in (0, 1) and not grep.errors.strip()
        return searched and skipped.returncode == 0 and not skipped.errors.strip()


def start(root: str) -> PrefixSearch | None:
    try:
        return PrefixSearch(root)
    except OSError:
        return None
