"""The `oi` program: one command table (`main`), one transport, one error handler.

The scanning library beside it (`scanner.formats`, `detect`, `sources`, `report`, `verify`,
`client`, `transport`) needs only the standard library; so do `oi scan` and `oi revoke`.
"""

from scanner.cli.main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
