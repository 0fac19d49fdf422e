"""Which files of a work tree can hold a token, asked of `git grep` (multi-threaded C) before
any file is read in Python: on a typical tree nearly every file holds no registered prefix
and is never opened here.

The pattern is every registered prefix as ASCII and as UTF-16 (both byte orders: `o\\0i\\0`...),
matched in every file, binary ones included (`-a`), so neither git's binary guess nor a
`.gitattributes` of the scanned repository decides what is read. A file holding none of them
cannot hold a token in any reading `scanner.detect` makes. It needs git's Perl-compatible
regexes (`-P`: a NUL can be written only there); when git lacks them, or says anything at all
on stderr (an unreadable file, say), the answer is "unknown" and every file is read as before.
The scanned repository's settings cannot change the names git prints (`--no-full-name`) nor
send it into submodules, which no listing holds (`--no-recurse-submodules`).
"""

from __future__ import annotations

from scanner import formats, gitspawn


def _pattern() -> str:
    """Each prefix in the three ways it can be written: `oi_pat_|o\\x00i\\x00...|\\x00o...`."""
    forms = []
    for fmt in formats.REGISTRY:
        forms.append(fmt.prefix)
        forms.append("".join(f"{char}\\x00" for char in fmt.prefix))
        forms.append("".join(f"\\x00{char}" for char in fmt.prefix))
    return "|".join(forms)


class PrefixSearch:
    """A `git grep` started now in the directory `root`; `holding()` waits for it. Started
    before the file listing, it runs beside it."""

    def __init__(self, root: str) -> None:
        command = ["-c", "grep.fallbackToNoIndex=false", "grep", "--no-color", "--no-full-name"]
        command += ["--no-recurse-submodules", "-l", "-z", "-a", "--untracked", "--no-textconv"]
        self._process = gitspawn.Git(
            [*command, "-P", "-e", _pattern()], cwd=root, extra_env={"LC_ALL": "C"}
        )

    def holding(self) -> set[str] | None:
        """The names (relative to `root`) of the files that hold a prefix, or None when git
        could not tell."""
        out, err = self._process.communicate()
        if self._process.returncode not in (0, 1) or err.strip():
            return None
        return set(filter(None, out.decode("utf-8", "surrogateescape").split("\0")))


def start(root: str) -> PrefixSearch | None:
    try:
        return PrefixSearch(root)
    except OSError:
        return None
