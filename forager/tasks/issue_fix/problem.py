"""The issue-fix problem statement, from one of four origins, recorded per task:

- issue: the linked GitHub issue's title and body;
- tests: what a user would see, the failing tests' output at the base commit with the test patch
  (offline, a commit message often states the fix itself: "Correct the spelling to issuperset");
- model: a report written by a model from that output, through an OpenAI-compatible server;
- commit: the fixing commit's message.
Never the diff. Each is put into Forager's fixed template (forager/tasks/templates/)."""

from __future__ import annotations

import re
from string import Template

from forager.errors import ForagerError
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


STATEMENTS = ("auto", "issue", "tests", "model", "commit")
TESTS_TEMPLATE = TEMPLATES / "issue_fix_tests_problem.txt"
MAX_OUTPUT = 6000
# Lines of pytest's output that show where the fix is (the diff of a file) or name the withheld
# test patch's own code are kept: a user's bug report shows the same.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tests_statement(failing: list[str], output: str, repo: str) -> str:
    shown = "\n".join(f"- {t}" for t in failing[:20]) + (f"\n- ... and {len(failing) - 20} more" if len(failing) > 20 else "")
    tail = _ANSI.sub("", output).strip()[-MAX_OUTPUT:]
    text = Template(TESTS_TEMPLATE.read_text()).substitute(repo=repo, failing=shown, output=tail or "(no output)")
    return text.rstrip() + "\n"


def model_statement(failing: list[str], output: str, repo: str, endpoint: str, model: str, timeout: float = 300) -> str:
    """A bug report written by a model from the failing tests' output (as SWE-smith writes its issues)."""
    import httpx
    prompt = (f"Write a short GitHub issue for the repository {repo}, as a user who ran its tests would. Describe the "
              f"wrong behaviour the output shows and what was expected. Do not propose a fix. Test output:\n\n"
              f"{_ANSI.sub('', output)[-MAX_OUTPUT:]}")
    try:
        res = httpx.post(f"{endpoint.rstrip('/')}/chat/completions", timeout=timeout,
                         json={"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": 600,
                               "temperature": 0.7})
        res.raise_for_status()
        report = res.json()["choices"][0]["message"]["content"].strip()
    except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
        raise ForagerError(f"the model server at {endpoint} did not write a problem statement: {exc}") from None
    return Template(TEMPLATE_FILE.read_text()).substitute(
        title=f"Tests fail in {repo}", details=_clip(report) or NO_DETAILS,
        origin=f"a report written by the model {model} from the failing tests' output").rstrip() + "\n"


def choose_statement(kind: str, cand: FixCandidate, repo: str, failing: list[str], output: str,
                     endpoint: str | None = None, model: str = "default") -> tuple[str, str]:
    """(statement, its origin): `auto` is the issue when there is one, else the tests' output."""
    if kind == "auto":
        kind = "issue" if cand.issue is not None else "tests"
    if kind == "issue" and cand.issue is None:
        kind = "tests"
    if kind == "tests":
        return tests_statement(failing, output, repo), "tests"
    if kind == "model":
        if not endpoint:
            raise ForagerError("--statement model needs --endpoint (an OpenAI-compatible server)")
        return model_statement(failing, output, repo, endpoint, model), "model"
    return issue_fix_statement(cand, repo), ("issue" if cand.issue is not None else "commit")


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
