"""A whole episode in CWM's dialect through the real agent loop and a real container, with a
scripted policy speaking CWM's format; every observation checked byte for byte against the
formats of facebookresearch/cwm (file named at each check), and the patch graded."""

from __future__ import annotations

import pytest

from forager.agent import cwm
from forager.agent.dialect import Dialect
from forager.agent.environment import EnvironmentSettings, EpisodeEnvironment
from forager.agent.llama3 import END_OF_TURN, header
from forager.agent.loop import Agent
from forager.agent.model import estimate_tokens
from forager.agent.tools import ToolSettings
from forager.harvest.grading import grade
from forager.records.episode_settings import AgentLimits
from forager.records.trajectory import ExitStatus
from tests.integration.scripted import CwmScriptedPolicy, cwm_call, cwm_edit_message, cwm_edits

pytestmark = pytest.mark.docker

MAX_TURNS, CONTEXT = 30, 131072


def expected_body(role: str, out: str, turn: int, max_turns: int = MAX_TURNS) -> str:
    """swerl_tool.py L539-569 with no server tokenizer (Forager's estimate) and no usage reported."""
    size = min(estimate_tokens(header(role) + cwm.budget_probe(out) + END_OF_TURN), cwm.MAX_OBSERVATION_TOKENS)
    return cwm.observation_body(out, max_turns - turn, CONTEXT - size)


def run_scripted_fix(task, system: str, user: str):
    edits = cwm_edits(task.gold_patch)
    turns = [
        # bash: stdout and stderr in one stream, trailing newline kept, no exit code (tools.py, session.py)
        cwm_call("bash", "cd /testbed && printf 'a\\n' && echo err >&2 && false",
                 "A call drafted here is ignored: <tool: bash>\nrm -rf /testbed\n</tool>"),
        *[cwm_call("edit", f"{p}\n<<<<<<< SEARCH\n{s}\n=======\n{r}\n>>>>>>> REPLACE") for p, s, r in edits],
        cwm_call("create", "/tmp/notes.txt\nhello\nworld"),
        cwm_call("bash", "cat /tmp/notes.txt"),  # create writes the content as is: no final newline
        "Two ends.\n</think>\n<tool: bash>\nls\n</tool>\n</think>",  # malformed: a FormatError as a user message
        cwm_call("bash", "cd /testbed && git diff > /tmp/fix.patch"),  # no output at all
        cwm_call("submit", "/tmp/fix.patch"),
        "It is fixed.\n</think>\n## Issue Summary\n\nThe bug is fixed.",  # the final answer
    ]
    with EpisodeEnvironment(task) as env:
        files = {p: env.box.read_file(p).decode() for p, _, _ in edits}
        ep = Agent(CwmScriptedPolicy(turns), env.tools, AgentLimits(max_turns=MAX_TURNS, max_format_errors=0),
                   dialect=Dialect("cwm")).run(system, user)
    return ep, edits, files


def check_episode(ep, edits, files):
    assert ep.status == ExitStatus.submitted and ep.graded, (ep.status, ep.detail)
    obs = [m for m in ep.messages[2:] if m.role != "assistant"]
    assert [m.role for m in obs] == (["tool: bash"] + ["tool: edit"] * len(edits)
                                     + ["tool: create", "tool: bash", "user", "tool: bash", "tool: submit"])
    n = 1
    assert obs[0].content == expected_body("tool: bash", "a\nerr\n", n)
    assert ep.turns[0].tool.arguments.command.startswith("cd /testbed && printf")  # the drafted call never ran
    for (path, search, replace), m in zip(edits, obs[1:1 + len(edits)]):  # cwm/rl/swerl/plugins/edit.py
        n += 1
        files[path], message = cwm_edit_message(path, files[path], search, replace)
        assert m.content == expected_body("tool: edit", message + "\n", n)
    rest = obs[1 + len(edits):]
    n += 1  # cwm/rl/swerl/plugins/create.py
    assert rest[0].content == expected_body("tool: create", "File created successfully at: /tmp/notes.txt (2 lines).\n", n)
    n += 1
    assert rest[1].content == expected_body("tool: bash", "hello\nworld", n)
    n += 1  # swerl_tool.py step: errors as a user message, no output or budget block
    assert rest[2].content == "FormatError: Expected exactly one thinking end token, got 2"
    n += 1
    assert rest[3].content == expected_body("tool: bash", "", n)
    n += 1  # swerl_tool.py SUBMISSION_FEEDBACK_PROMPT, the patch as cat printed it
    assert ep.patch and ep.patch.startswith("diff --git ")
    assert rest[4].content == expected_body("tool: submit", cwm.submission_feedback(ep.patch), n)
    assert rest[4].content.startswith("<output>\nThe following patch content is marked as your final submission:"
                                      "\n\n<submission>\ndiff --git ")
    assert ep.messages[-1].role == "assistant" and ep.messages[-1].content.endswith("## Issue Summary\n\nThe bug is fixed.")


def test_cwm_dialect_episode_in_a_real_container(example_tasks):
    task = example_tasks[0]
    ep, edits, files = run_scripted_fix(task, "system", "user")
    check_episode(ep, edits, files)
    g = grade(task, ep.patch)
    assert g.resolved, (g.error, g.log[-2000:])


def test_cwm_bash_limits_in_a_real_container(example_tasks):
    turns = [
        cwm_call("bash", "cd /tmp && head -c 600000 /dev/zero | tr '\\0' a"),  # over 480 KiB: session ends
        cwm_call("bash", "pwd"),  # the fresh session starts in /testbed again
        cwm_call("bash", "head -c 200000 /dev/zero | tr '\\0' b"),  # over 32768 tokens: cut from the right
        cwm_call("bash", "sleep 5"),
    ]
    settings = EnvironmentSettings(tools=ToolSettings(bash_timeout=2))
    with EpisodeEnvironment(example_tasks[0], settings) as env:
        ep = Agent(CwmScriptedPolicy(turns), env.tools, AgentLimits(max_turns=5, max_format_errors=0),
                   dialect=Dialect("cwm")).run("s", "u")
    obs = [m for m in ep.messages if m.role.startswith("tool: ")]
    assert obs[0].content == expected_body("tool: bash", cwm.SESSION_TOO_LONG, 1, max_turns=5)
    assert ep.turns[0].tool.restarted and ep.turns[0].tool.truncated
    assert obs[1].content.startswith("<output>\n/testbed\n\n</output>")
    cut = obs[2].content  # swerl_tool.py L571-575: the cut comes after the budget block
    assert cut.startswith("<output>\nbbbb") and cut.endswith("b[...]") and "<budget>" not in cut
    assert estimate_tokens(header("tool: bash") + cut + END_OF_TURN) <= cwm.MAX_OBSERVATION_TOKENS
    assert ep.turns[2].tool.truncated
    assert obs[3].content.startswith(f"<output>\n{cwm.SESSION_TIMEOUT}\n</output>")
    # the 5th action is the last: CWM never runs it (swerl_tool.py L401-413)
    assert ep.status == ExitStatus.turn_limit and ep.detail == cwm.MAX_TURNS_REACHED and len(ep.turns) == 5
