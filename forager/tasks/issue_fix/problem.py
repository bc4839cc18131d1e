"""The issue-fix problem statement: an issue's title and body, or offline the fixing commit's
message, put into Forager's fixed template (forager/tasks/templates/issue_fix_problem.txt)."""

from __future__ import annotations

import re
from string import Template

from forager.tasks.issue_fix.candidate import FixCandidate
from forager.tasks.problem import TEMPLATES

TEMPLATE_FILE = TEMPLATES / "issue_fix_problem.txt"
MAX_CHARS = 20000
NO_DETAILS = "No further details were given."
_TRAILER = re.compile(r"^[A-Za-z][\w-]*: \S")
_CHERRY = re.compile(r"^\(cherry picked from commit [0-9a-f]+\)$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def clean_message(message: str) -> tuple[str, str]:
    """(subject, body) of a commit message without trailers (Signed-off-by: ...) or cherry-pick notes."""
    lines = [ln.rstrip() for ln in message.replace("\r\n", "\n").split("\n")]
    lines = [ln for ln in lines if not _CHERRY.match(ln.strip())]
    paragraphs, cur = [], []
    for ln in lines:
        if ln.strip():
            cur.append(ln)
        elif cur:
            paragraphs.append(cur)
            cur = []
    if cur:
        paragraphs.append(cur)
    if len(paragraphs) > 1 and all(_TRAILER.match(ln) for ln in paragraphs[-1]):
        paragraphs.pop()
    if not paragraphs:
        return "", ""
    subject = " ".join(ln.strip() for ln in paragraphs[0])
    body = "\n\n".join("\n".join(p) for p in paragraphs[1:])
    return subject, body


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS].rstrip() + "\n[...]"


def issue_fix_statement(cand: FixCandidate, repo: str) -> str:
    if cand.issue is not None:
        title, details = cand.issue.title.strip(), _COMMENT.sub("", cand.issue.body).strip()
        origin = f"issue #{cand.issue.number} of {repo}"
    else:
        title, details = clean_message(cand.message)
        origin = f"a commit message in the history of {repo}"
    text = Template(TEMPLATE_FILE.read_text()).substitute(
        title=title or "(untitled)", details=_clip(details) or NO_DETAILS, origin=origin)
    return text.rstrip() + "\n"
