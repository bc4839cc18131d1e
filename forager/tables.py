"""Summary tables whose id columns are never cut, whatever the terminal's width.

An id is what a user copies into the next command (`forager tasks --images ID`), so id columns
never wrap or shorten. When the terminal is too narrow, other columns are dropped, the least
important first, and the caption names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Col:
    name: str
    is_id: bool = False
    keep: int = 0  # higher is kept longer when the terminal is narrow; ids are always kept


def _width(col: Col, i: int, rows: list[list[str]]) -> int:
    return max([len(col.name), *(len(r[i]) for r in rows)])


def _build(title: str, cols: list[Col], rows: list[list[str]], shown: list[int], caption: str | None) -> Table:
    table = Table(title=title, caption=caption)
    for i in shown:
        table.add_column(cols[i].name, no_wrap=True, min_width=_width(cols[i], i, rows))
    for r in rows:
        table.add_row(*(r[i] for i in shown))
    return table


def _records(title: str, cols: list[Col], rows: list[list[str]]) -> Group:
    """One block per row, one field per line: for terminals too narrow for even the ids side by side."""
    lines = [Text(title, style="italic")]
    for r in rows:
        lines += [Text(f"{'-' if j == 0 else ' '} {c.name}: {r[j]}", no_wrap=True, overflow="ignore")
                  for j, c in enumerate(cols)]
    return Group(*lines)


def fitted(console: Console, title: str, cols: list[Col], rows: list[list[str]]) -> RenderableType:
    """The table with as many whole columns as fit in the console's width; ids always shown."""
    ids_only = [i for i, c in enumerate(cols) if c.is_id]
    if sum(_width(cols[i], i, rows) + 3 for i in ids_only) + 1 > console.width:
        return _records(title, cols, rows)
    shown = list(range(len(cols)))
    droppable = sorted((i for i, c in enumerate(cols) if not c.is_id), key=lambda i: (cols[i].keep, -i))
    dropped: list[str] = []
    # Each column takes its text, a space either side and one border; plus the last border.
    while sum(_width(cols[i], i, rows) + 3 for i in shown) + 1 > console.width and droppable:
        i = droppable.pop(0)
        shown.remove(i)
        dropped.append(cols[i].name)
    caption = f"left out for width: {', '.join(dropped)}" if dropped else None
    return _build(title, cols, rows, shown, caption)
