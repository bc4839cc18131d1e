"""Shipped prompt templates and user overrides."""

import pytest

from forager.agent.prompts import NAMES, PromptError, fill_prompt, load_prompt
from forager.errors import ForagerError

VALUES = {"problem_statement": "test_parse fails", "repo": "acme/widgets", "max_turns": 64}


@pytest.mark.parametrize("name", NAMES)
def test_shipped_templates_load_and_fill(name):
    text = fill_prompt(load_prompt(name), **VALUES)
    assert "$" not in text
    assert not text.endswith("\n")


def test_system_prompt_teaches_all_tools():
    text = fill_prompt(load_prompt("system"), **VALUES)
    for tool in ("bash", "edit", "create", "submit"):
        assert f"<tool: {tool}>" in text
    for marker in ("<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE", "</tool>"):
        assert marker in text
    assert "/testbed" in text and "acme/widgets" in text and "64 turns" in text
    assert "git diff" in text and "/tmp/fix.patch" in text


@pytest.mark.parametrize("name", ["user_mutate_fix", "user_issue_fix"])
def test_user_prompts_carry_the_problem(name):
    text = fill_prompt(load_prompt(name), **VALUES)
    assert "test_parse fails" in text and "/testbed" in text and "acme/widgets" in text


def test_name_may_carry_suffix():
    assert load_prompt("system.txt").template == load_prompt("system").template


def test_override_dir(tmp_path):
    (tmp_path / "system.txt").write_text("Work on $repo. Costs $$5.\n")
    assert fill_prompt(load_prompt("system", tmp_path), **VALUES) == "Work on acme/widgets. Costs $5."


def test_override_missing_file_points_at_shipped_copy(tmp_path):
    expected = r"user_issue_fix\.txt: prompt template not found; copy .*user_issue_fix\.txt"
    with pytest.raises(PromptError, match=expected):
        load_prompt("user_issue_fix", tmp_path)


def test_override_dir_missing(tmp_path):
    with pytest.raises(PromptError, match="does not exist"):
        load_prompt("system", tmp_path / "nope")


def test_unknown_shipped_name():
    with pytest.raises(PromptError, match="no prompt template named 'nope'"):
        load_prompt("nope")


def test_name_with_directory_is_refused():
    with pytest.raises(PromptError, match="plain file name"):
        load_prompt("../system")


def test_unknown_placeholder(tmp_path):
    (tmp_path / "system.txt").write_text("Home is $HOME\n")
    with pytest.raises(PromptError, match=r"unknown placeholder\(s\) \$HOME.*\$\$"):
        load_prompt("system", tmp_path)


def test_stray_dollar(tmp_path):
    (tmp_path / "system.txt").write_text("line one\ncosts $5\n")
    with pytest.raises(PromptError, match="line 2: a '\\$' that starts no placeholder"):
        load_prompt("system", tmp_path)


def test_user_prompt_must_use_problem_statement(tmp_path):
    (tmp_path / "user_mutate_fix.txt").write_text("Fix $repo.\n")
    with pytest.raises(PromptError, match=r"must use \$problem_statement"):
        load_prompt("user_mutate_fix", tmp_path)


def test_fill_reports_missing_values():
    with pytest.raises(PromptError, match=r"\$max_turns"):
        fill_prompt(load_prompt("system"), repo="acme/widgets")


def test_problem_statement_dollars_are_not_expanded():
    text = fill_prompt(load_prompt("user_mutate_fix"), **{**VALUES, "problem_statement": "cost $repo $$"})
    assert "cost $repo $$" in text


def test_prompt_error_is_a_user_error():
    assert issubclass(PromptError, ForagerError)
