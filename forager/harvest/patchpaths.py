"""The file names a unified or git diff touches, and which of them no patch tool may write.

`git apply` refuses paths outside the tree and inside .git by itself; GNU `patch` (the last
fallback) is only run when every name passes this check, so a hand-written diff cannot reach
.git (hooks, config) or escape /testbed.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^(?:--- |Index: |\+\+\+ |diff --git |rename (?:from|to) |copy (?:from|to) )(.*)$")


def _names(line: str) -> list[str]:
    m = _HEADER.match(line)
    if not m:
        return []
    rest = m.group(1).split("\t")[0].strip()
    if line.startswith("diff --git "):
        return rest.split(" ")
    return [rest]


def touched_paths(patch: str) -> list[str]:
    """Every path named in a file header, with git's a/ b/ prefixes dropped."""
    out: list[str] = []
    for line in patch.splitlines():
        for name in _names(line):
            name = name.strip('"')
            if name == "/dev/null":
                continue
            out.append(name[2:] if name[:2] in ("a/", "b/") else name)
    return out


def unsafe_paths(patch: str) -> list[str]:
    """Names that leave the tree, are absolute, or point into git's own directory."""
    bad = []
    for p in touched_paths(patch):
        parts = [x for x in p.split("/") if x not in ("", ".")]
        if p.startswith("/") or ".." in parts or any(x == ".git" for x in parts) or not parts:
            bad.append(p)
    return bad
