"""tokenpatrol's client side: the token registry, the leak scanner and the `oi` command.

Nothing here imports Flask or SQLAlchemy: `oi scan --staged` runs on every commit.
"""


def installed_version() -> str:
    """This package's version, as pip installed it (`oi --version`, the SARIF report)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tokenpatrol")
    except PackageNotFoundError:
        return "0.0.0"
