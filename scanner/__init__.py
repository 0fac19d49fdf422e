"""tokenpatrol's client side: the token registry, the leak scanner and the `oi` command.

Nothing here imports Flask or SQLAlchemy: `oi scan --staged` runs on every commit.
"""
