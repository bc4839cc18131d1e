"""Unified diffs that `git apply` accepts, in both directions."""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split the way git does."""
    # Split on "\n" only, as git does; str.splitlines would also split on form feeds
    # and other separators that git treats as ordinary characters.
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(original: str, mutated: str, path: str) -> str:
    """A git-style patch from `original` to `mutated` for the file at `path` (relative, '/'
    separated). Empty when the texts are equal."""
    if original == mutated:
        return ""
    out = [f"diff --git a/{path} b/{path}\n"]
    hunks = difflib.unified_diff(split_lines(original), split_lines(mutated), f"a/{path}", f"b/{path}", n=3)
    for line in hunks:
        if line.endswith("\n"):
            out.append(line)
        else:
            # Only a file's last line can lack its newline; git needs the marker to know.
            out.append(line + "\n" + NO_NEWLINE)
    return "".join(out)
