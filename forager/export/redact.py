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
# Each pattern runs only on texts that hold one of its literal hints (a substring test is far
# cheaper than a regex scan, and almost no text holds any).
HINTS = {
    "private_key": ("PRIVATE KEY",), "aws_access_key": ("AKIA", "ASIA"), "github_token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "openai_key": ("sk-",), "huggingface_token": ("hf_",), "slack_token": ("xox",), "google_api_key": ("AIza",),
    "jwt": ("eyJ",),
}
_COMPILED = {k: re.compile(v) for k, v in PATTERNS.items()}
_ASSIGNED_HINTS = tuple(f"{a}{sep}{b}" for a, b in (("api", "key"), ("secret", "key"), ("access", "token"), ("auth", "token"))
                        for sep in ("_", "-", "")) + ("password", "secret_access")


def redact_text(text: str, found: dict[str, int]) -> str:
    if not text:
        return text
    for kind, rx in _COMPILED.items():
        if kind == "assigned_secret":
            low = text.lower()
            if not any(h in low for h in _ASSIGNED_HINTS):
                continue
            text, n = rx.subn(lambda m: m.group(0)[: m.start("secret_value") - m.start()] + "[REDACTED:assigned_secret]", text)
        elif any(h in text for h in HINTS[kind]):
            text, n = rx.subn(f"[REDACTED:{kind}]", text)
        else:
            continue
        if n:
            found[kind] = found.get(kind, 0) + n
    return text


# Every hint in one regular expression for RE2 (through pyarrow): a text without a match holds no
# secret any pattern above could find, since each pattern needs one of its hints.
HINTS_RE2 = "|".join(re.escape(h) for hs in HINTS.values() for h in hs) + "|(?i:" + "|".join(map(re.escape, _ASSIGNED_HINTS)) + ")"


def probe_text(t: Trajectory) -> str:
    """Every text of `t` that redaction looks at, in one string."""
    texts = [t.submitted_patch, t.problem_statement] + [x for m in t.messages for x in (m.content, m.reasoning)]
    texts += [getattr(turn.tool.arguments, k) for turn in t.turns for k in ("command", "path", "search", "replace", "content")]
    return "\0".join(texts)


def may_hold_secrets(trajectories: list[Trajectory]) -> list[bool]:
    """Which trajectories hold any hint, in one vectorized scan (RE2) of them all: for a batch, several
    times faster than a substring test per hint and trajectory. Those with none need no `redact`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not trajectories:
        return []
    texts = pa.array([probe_text(t) for t in trajectories], pa.large_string())
    return pc.match_substring_regex(texts, HINTS_RE2).to_pylist()


def redact(t: Trajectory) -> tuple[Trajectory, list[Redaction]]:
    """A copy of `t` with secrets replaced, and where they were (`t` itself when it holds none)."""
    report: list[Redaction] = []
    probe: dict[str, int] = {}
    redact_text(probe_text(t), probe)  # one scan of everything; most trajectories stop here
    if not probe:
        return t, report

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
