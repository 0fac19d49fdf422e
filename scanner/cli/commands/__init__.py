"""One module per `oi` command group; `scanner.cli.main` imports each only when it runs."""
