"""Secret redaction: API keys, tokens and private keys in every text a row carries.

Each secret becomes `[REDACTED:<kind>]`; what was redacted where (never the secret) goes to the
manifest and to redactions.jsonl.
"""

from __future__ import annotations

import re

from forager.records.dataset import Redaction
from forager.records.trajectory import Trajectory

PATTERNS = {
    "private_key": r"-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )?PRIVATE KEY-----",
    "aws_access_key": r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "github_token": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b",
    "openai_key": r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b",
    "huggingface_token": r"\bhf_[A-Za-z0-9]{30,}\b",
    "slack_token": r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b",
    "google_api_key": r"\bAIza[0-9A-Za-z_-]{35}\b",
    "jwt": r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b",
    "assigned_secret": r"(?<![A-Za-z0-9])(?i:aws_secret_access_key|api[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|password)"
                       r"['\"]?\s*[:=]\s*['\"](?P<secret_value>[^'\"\s]{12,})(?=['\"])",
}
_ALL = re.compile("|".join(f"(?P<{k}>{v})" for k, v in PATTERNS.items()))
# Cheap pre-check: a text with none of these substrings cannot match any pattern.
_HINTS = re.compile(r"PRIVATE KEY|AKIA|ASIA|gh[pousr]_|github_pat_|sk-|hf_|xox|AIza|eyJ|(?i:key|token|password)")


def redact_text(text: str, found: dict[str, int]) -> str:
    if not text or not _HINTS.search(text):
        return text

    def sub(m: re.Match) -> str:
        kind = m.lastgroup or "secret"
        if kind == "assigned_secret":
            # keep the name and the quote, replace the value only
            found[kind] = found.get(kind, 0) + 1
            return m.group(0)[: m.start("secret_value") - m.start()] + f"[REDACTED:{kind}]"
        found[kind] = found.get(kind, 0) + 1
        return f"[REDACTED:{kind}]"

    return _ALL.sub(sub, text)


def redact(t: Trajectory) -> tuple[Trajectory, list[Redaction]]:
    """A copy of `t` with secrets replaced, and where they were."""
    report: list[Redaction] = []

    def clean(text: str, where: str) -> str:
        found: dict[str, int] = {}
        out = redact_text(text, found)
        report.extend(Redaction(trajectory_id=t.trajectory_id, where=where, kind=k, count=c) for k, c in sorted(found.items()))
        return out

    messages = [m.model_copy(update={"content": clean(m.content, f"messages[{i}].content"),
                                     "reasoning": clean(m.reasoning, f"messages[{i}].reasoning")})
                for i, m in enumerate(t.messages)]
    turns = []
    for i, turn in enumerate(t.turns):
        a = turn.tool.arguments
        args = a.model_copy(update={k: clean(getattr(a, k), f"turns[{i}].tool.arguments.{k}")
                                    for k in ("command", "path", "search", "replace", "content")})
        turns.append(turn.model_copy(update={"tool": turn.tool.model_copy(update={"arguments": args})}))
    update = {"messages": messages, "turns": turns,
              "submitted_patch": clean(t.submitted_patch, "submitted_patch"),
              "problem_statement": clean(t.problem_statement, "problem_statement")}
    if not report:
        return t, report
    return t.model_copy(update=update), report
