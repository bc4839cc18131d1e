"""Problem statements in Forager's own words, from template files it ships."""

from __future__ import annotations

from string import Template

from forager import paths

TEMPLATES = paths.PACKAGE_DIR / "tasks" / "templates"
MAX_LISTED = 20


def mutate_fix_statement(failing: list[str]) -> str:
    shown = [f"- {t}" for t in failing[:MAX_LISTED]]
    if len(failing) > MAX_LISTED:
        shown.append(f"- ... and {len(failing) - MAX_LISTED} more")
    one = len(failing) == 1
    text = Template((TEMPLATES / "mutate_fix_problem.txt").read_text())
    return text.substitute(
        count_phrase="a test" if one else f"{len(failing)} tests",
        verb="fails" if one else "fail",
        test_word="test" if one else "tests",
        failing="\n".join(shown),
        these_tests="this test" if one else "these tests",
        pass_verb="passes" if one else "pass",
    )
