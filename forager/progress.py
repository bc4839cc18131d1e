"""Shared rich console and progress bars: every long stage shows progress the same way."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console(stderr=True, highlight=False, soft_wrap=True)


def progress() -> Progress:
    # Without a terminal (CI, pipes) rich redraws nothing; it still prints the final state.
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                    console=console, transient=False, disable=not sys.stderr.isatty() and bool(os.environ.get("CI")))
