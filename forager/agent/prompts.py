"""Prompt templates: the ones Forager ships, or a user's own directory of replacements.

Templates are `string.Template` files named ``NAME.txt``: system, user_mutate_fix,
user_issue_fix for the chat dialect; cwm_identity, cwm_reasoning, cwm_environment,
cwm_user_mutate_fix, cwm_user_issue_fix for the cwm dialects (assembled in CWM's structure by
`forager.agent.dialect.cwm_system_prompt`). Placeholders are listed in PLACEHOLDERS;
a literal dollar sign is written ``$$``. Templates are checked when loaded, so a typo in a
user's file fails before the first episode, not in the middle of a run.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from forager.errors import ForagerError

PROMPTS_DIR = Path(__file__).parent / "prompts"

NAMES = ("system", "user_mutate_fix", "user_issue_fix")  # the chat dialect's
CWM_NAMES = ("cwm_identity", "cwm_reasoning", "cwm_environment", "cwm_user_mutate_fix", "cwm_user_issue_fix")

PLACEHOLDERS = {
    "problem_statement": "the task's problem statement",
    "repo": "the repository, as owner/name",
    "max_turns": "the episode's turn limit",
    "context_size": "the episode's context limit in tokens, a plain integer",
    "session_timeout": "the bash time limit, written like '120-second'",
    "repo_root": "where the repository is, /testbed",
    "failing_tests": "the task's FAIL_TO_PASS tests, one '- test' line each",
}

# A user prompt without the problem statement gives the agent nothing to do.
REQUIRED = {
    "user_mutate_fix": frozenset({"problem_statement"}),
    "user_issue_fix": frozenset({"problem_statement"}),
    "cwm_user_mutate_fix": frozenset({"problem_statement"}),
    "cwm_user_issue_fix": frozenset({"problem_statement"}),
}

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class PromptError(ForagerError):
    """A prompt template is missing, malformed, or cannot be filled."""


def load_prompt(name: str, override_dir: Path | None = None) -> Template:
    """The checked template `name`, from `override_dir` when given, else the shipped one.

    With `override_dir`, every template must be there: a half-replaced set would silently
    mix the user's wording with Forager's. The error points at the shipped file to copy.
    """
    name = name.removesuffix(".txt")
    if not _NAME_RE.match(name):
        raise PromptError(f"prompt name {name!r} must be a plain file name without a directory")
    path = _locate(name, override_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"{path}: cannot read prompt template ({exc})") from None
    # Editors end files with a newline; the message should not end with a stray one.
    template = Template(text.removesuffix("\n"))
    _check(template, name, path)
    return template


def fill_prompt(template: Template, **values: object) -> str:
    """Fill `template`; every placeholder it uses must be given a value."""
    missing = sorted(set(template.get_identifiers()) - values.keys())
    if missing:
        raise PromptError(f"no value for placeholder(s) {', '.join('$' + m for m in missing)}")
    return template.substitute({k: str(v) for k, v in values.items()})


def _locate(name: str, override_dir: Path | None) -> Path:
    shipped = PROMPTS_DIR / f"{name}.txt"
    if override_dir is None:
        if not shipped.is_file():
            raise PromptError(f"no prompt template named {name!r}; Forager ships {', '.join(NAMES + CWM_NAMES)}")
        return shipped
    override_dir = Path(override_dir)
    if not override_dir.is_dir():
        raise PromptError(f"{override_dir}: prompt directory does not exist")
    path = override_dir / f"{name}.txt"
    if not path.is_file():
        hint = f"; copy {shipped} to start from Forager's wording" if shipped.is_file() else ""
        raise PromptError(f"{path}: prompt template not found{hint}")
    return path


def _check(template: Template, name: str, path: Path) -> None:
    if not template.is_valid():
        raise PromptError(f"{path}: {_invalid_dollar(template.template)}")
    used = set(template.get_identifiers())
    unknown = sorted(used - PLACEHOLDERS.keys())
    if unknown:
        known = ", ".join(f"${k} ({v})" for k, v in PLACEHOLDERS.items())
        raise PromptError(
            f"{path}: unknown placeholder(s) {', '.join('$' + u for u in unknown)}; "
            f"known are {known}; write $$ for a literal dollar sign"
        )
    missing = sorted(REQUIRED.get(name, frozenset()) - used)
    if missing:
        raise PromptError(f"{path}: the template must use {', '.join('$' + m for m in missing)}")


def _invalid_dollar(text: str) -> str:
    for match in Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line = text.count("\n", 0, match.start()) + 1
            return f"line {line}: a '$' that starts no placeholder; write $$ for a literal dollar sign"
    return "malformed template"
