"""Printing for the benchmarks: rich tables when rich is there, plain columns otherwise."""

from __future__ import annotations


def print_table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print_plain(title, headers, rows)
        return
    table = Table(title=title)
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console(width=max(Console().width, 110)).print(table)


def print_plain(title: str, headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    print(title)
    for row in (headers, *rows):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def note(message: str) -> None:
    print(message, flush=True)
