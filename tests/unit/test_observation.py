"""Observation messages and output capping."""

import pytest

from forager.agent.llama3 import Message
from forager.agent.observation import (
    cap_output,
    format_budget,
    format_observation,
    observation_message,
    observation_role,
)


def test_role():
    assert observation_role("bash") == "tool: bash"


def test_exact_observation():
    assert format_observation("3 passed\n", turns_left=7, tokens_left=90000) == (
        "<output>\n3 passed\n</output>\n<budget>\nturns left: 7\ntokens left: 90000\n</budget>"
    )


def test_only_one_trailing_newline_dropped():
    assert format_observation("a\n\n", turns_left=1, tokens_left=1).startswith("<output>\na\n\n</output>\n")


def test_output_without_newline():
    assert format_observation("a", turns_left=1, tokens_left=1).startswith("<output>\na\n</output>\n")


def test_empty_output():
    assert format_observation("", turns_left=1, tokens_left=1).startswith("<output>\n\n</output>\n")


def test_budget_never_negative():
    assert format_budget(-1, -50) == "<budget>\nturns left: 0\ntokens left: 0\n</budget>"


def test_message():
    msg = observation_message("edit", "ok", turns_left=3, tokens_left=10)
    assert msg == Message(role="tool: edit", content=format_observation("ok", turns_left=3, tokens_left=10))


def test_cap_leaves_short_text_alone():
    assert cap_output("hello\n", 100) == ("hello\n", False)
    exact = "x" * 100
    assert cap_output(exact, 100) == (exact, False)


def test_cap_keeps_head_and_tail_and_states_the_cut():
    lines = [f"line {i:04d}" for i in range(2000)]
    text = "\n".join(lines) + "\n"
    capped, truncated = cap_output(text, 1000)
    assert truncated
    assert len(capped) <= 1000
    assert capped.startswith("line 0000\n")
    assert capped.endswith("line 1999\n")
    notice = next(line for line in capped.splitlines() if line.startswith("[..."))
    cut = int(notice.split()[1])
    shown = capped.replace(notice + "\n", "")
    assert cut == len(text) - len(shown)
    # The cut falls on line boundaries, so no line is shown in part.
    assert all(line in lines for line in shown.splitlines())


def test_cap_without_newlines():
    text = "a" * 500 + "b" * 500
    capped, truncated = cap_output(text, 200)
    assert truncated and len(capped) <= 200
    head, notice, tail = capped.split("\n")
    assert set(head) == {"a"} and set(tail) == {"b"}
    assert int(notice.split()[1]) == len(text) - len(head) - len(tail)


@pytest.mark.parametrize("size", [101, 150, 1000, 5000])
def test_cap_never_exceeds_limit(size):
    text = ("word " * 13 + "\n") * 1000
    capped, truncated = cap_output(text, size)
    assert truncated and len(capped) <= size


def test_cap_rejects_tiny_limit():
    with pytest.raises(ValueError):
        cap_output("x" * 1000, 10)
