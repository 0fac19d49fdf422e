"""`python -m scanner.cli`: the `oi` program."""

from scanner.cli.main import main

raise SystemExit(main())
