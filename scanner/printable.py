"""Text from a repository or a server, made safe to print on a terminal.

A file name, a git author or a token's name can hold escape sequences (retitle the window,
clear the screen, hide what follows), bidi overrides or line separators that forge another
line. Every character `str.isprintable` rejects is shown as its Python escape instead.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """`text` with each non-printable character (space aside) written as `\\x1b`, `\\u202e`..."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)
