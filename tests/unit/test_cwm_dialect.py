"""CWM's agent dialect, byte for byte: a golden episode, the parser, the prompts' structure, the tools.

Each rule names the file of facebookresearch/cwm (commit 7930e02) it comes from.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from forager.agent import cwm
from forager.agent.dialect import Dialect, cwm_system_prompt
from forager.agent.llama3 import Message, render_prompt
from forager.agent.loop import Agent, EpisodeEnd
from forager.agent.model import stop_token
from forager.agent.prompts import fill_prompt, load_prompt
from forager.agent.transcript import raw_prompt
from forager.paths import PACKAGE_DIR
from forager.records.trajectory import ChatMessage, ExitStatus, TurnRecord

# ------------------------------------------------------------------ the golden episode

SYSTEM, USER = "You help.", "Fix the bug in src/a.py."
# Generated turns: the text after the prompt's "<think>\n", as the server returns it.
T0 = ("Draft: <tool: bash>\nrm -rf /\n</tool> no, look first.\n</think>\nListing.\n"
      "<tool: bash>\nls\n</tool>")  # a call drafted inside the reasoning is never run
T1 = ("Change x.\n</think>\n<tool: edit>\nsrc/a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n"
      "</tool>\nThat should do.")  # text after the call is allowed and kept
T2 = "Two at once.\n</think>\n<tool: bash>\na\n</tool>\n<tool: bash>\nb\n</tool>"  # malformed: two calls
T3 = "Submit.\n</think>\n<tool: submit>\n/tmp/fix.patch\n</tool>"  # ends on <|eom_id|>
T4 = "Done.\n</think>\n## Issue Summary\n\nFixed x."  # the final answer

EDIT_OUT = ("File src/a.py has been successfully updated at line 1 and now contains 2 lines. The surrounding lines "
            "after the edit are shown below:\n     1\tx = 2\n     2\t\nReview the changes and make sure they are as "
            "expected.\n")
PATCH = "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


def _episode_messages() -> list[ChatMessage]:
    p = Dialect("cwm").assistant_prefix
    with pytest.raises(cwm.CwmError) as two:
        cwm.parse_turn(T2)
    return [
        ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=USER),
        ChatMessage(role="assistant", content=p + T0, stop_token="<|eot_id|>"),
        ChatMessage(role="tool: bash", content=cwm.observation_body("setup.py\nsrc\n", 127, 130500)),
        ChatMessage(role="assistant", content=p + T1, stop_token="<|eot_id|>"),
        ChatMessage(role="tool: edit", content=cwm.observation_body(EDIT_OUT, 126, 130100)),
        ChatMessage(role="assistant", content=p + T2, stop_token="<|eot_id|>"),
        ChatMessage(role="user", content=two.value.feedback),
        ChatMessage(role="assistant", content=p + T3, stop_token="<|eom_id|>"),
        ChatMessage(role="tool: submit", content=cwm.observation_body(cwm.submission_feedback(PATCH), 124, 129000)),
        ChatMessage(role="assistant", content=p + T4, stop_token="<|eot_id|>"),
    ]


# Rules (facebookresearch/cwm):
# - BOS once, at the start: cwm/rl/envs/dialog.py (transition(initial=True) -> bos=initial).
# - header <|start_header_id|>ROLE<|end_header_id|>\n\n, body, <|eot_id|>, no separator:
#   cwm/text/tokenizers.py CWMInstructTokenizer.encode_message(_header).
# - tool roles "tool: NAME": cwm/text/datatypes.py CWMChatMessage.source_str.
# - every generation prompt ends "<think>\n": cwm/rl/envs/prompts.py THINK_TAG_START,
#   cwm/rl/envs/envs/swerl_tool.py SWERLConfig.assistant_prefix.
# - past turns verbatim with reasoning, </think> and trailing text; a turn that ended on
#   <|eom_id|> keeps it and gets an <|eot_id|> inserted: cwm/rl/envs/api.py Trajectory.append,
#   cwm/rl/envs/dialog.py DialogEnv.transition.
# - observation body "<output>\n…\n</output>\n\n<budget>…</budget>", bash output with its
#   newline: cwm/rl/envs/envs/swerl_tool.py (FEEDBACK_OUTPUT_PROMPT, BUDGET_NOTICE_TEMPLATE),
#   cwm/rl/swerl/modal_backend.py run_bash(sanitize=False).
# - errors as user messages "FormatError: …": cwm/rl/envs/envs/swerl_tool.py step;
#   the message: cwm/rl/swerl/default_tools.py parse_tool_calls.
# - edit feedback + print()'s newline: cwm/rl/swerl/plugins/edit.py.
# - submission block: cwm/rl/envs/envs/swerl_tool.py SUBMISSION_FEEDBACK_PROMPT.
GOLDEN = (
    "<|begin_of_text|>"
    "<|start_header_id|>system<|end_header_id|>\n\nYou help.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nFix the bug in src/a.py.<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n<think>\n"
    "Draft: <tool: bash>\nrm -rf /\n</tool> no, look first.\n</think>\nListing.\n<tool: bash>\nls\n</tool><|eot_id|>"
    "<|start_header_id|>tool: bash<|end_header_id|>\n\n"
    "<output>\nsetup.py\nsrc\n\n</output>\n\n<budget>\n* Remaining turns: 127\n* Remaining tokens: 130500\n</budget>"
    "<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n<think>\n"
    "Change x.\n</think>\n<tool: edit>\nsrc/a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n</tool>\n"
    "That should do.<|eot_id|>"
    "<|start_header_id|>tool: edit<|end_header_id|>\n\n"
    "<output>\nFile src/a.py has been successfully updated at line 1 and now contains 2 lines. The surrounding "
    "lines after the edit are shown below:\n     1\tx = 2\n     2\t\nReview the changes and make sure they are "
    "as expected.\n\n</output>\n\n<budget>\n* Remaining turns: 126\n* Remaining tokens: 130100\n</budget><|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n<think>\n"
    "Two at once.\n</think>\n<tool: bash>\na\n</tool>\n<tool: bash>\nb\n</tool><|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\n"
    "FormatError: Expected one tool call, but found 2: bash, bash. Ensure only one <tool:...></tool> block is "
    "present in the response.<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n<think>\n"
    "Submit.\n</think>\n<tool: submit>\n/tmp/fix.patch\n</tool><|eom_id|><|eot_id|>"
    "<|start_header_id|>tool: submit<|end_header_id|>\n\n"
    "<output>\nThe following patch content is marked as your final submission:\n\n<submission>\n"
    "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    "\n</submission>\n\nReview the patch content and ensure it correctly resolves the issue. If necessary, you can "
    "continue refining the patch and submit an updated version.\n</output>\n\n"
    "<budget>\n* Remaining turns: 124\n* Remaining tokens: 129000\n</budget><|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n<think>\n"
)


def test_golden_episode_renders_byte_for_byte():
    msgs = _episode_messages()
    prompt = render_prompt(msgs[:-1], bos=True, assistant_prefix=Dialect("cwm").assistant_prefix)
    assert prompt == GOLDEN


def test_golden_episode_rebuilds_from_a_trajectory_at_every_turn():
    from forager.records.trajectory import Grading, ServerInfo, Timings, Trajectory
    msgs = _episode_messages()
    traj = Trajectory(trajectory_id="t#0", instance_id="t", attempt=0, variant="mutate-fix", repo="a/b",
                      image="i", image_id="x", problem_statement="p", FAIL_TO_PASS=[], PASS_TO_PASS=[],
                      policy="cwm", dialect="cwm", model="m", sampling={}, server=ServerInfo(), limits={},
                      messages=msgs, turns=[TurnRecord(index=i, latency=0) for i in range(5)],
                      exit_status=ExitStatus.submitted, grading=Grading(resolved=False, applied=False), reward=0,
                      timings=Timings(), started_at="")
    again = Trajectory.model_validate_json(traj.model_dump_json())
    assert raw_prompt(again, 4) == GOLDEN
    assert raw_prompt(again, 0) == GOLDEN[:GOLDEN.index("Draft:")]
    assert raw_prompt(again, 1).endswith("</budget><|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<think>\n")


def _agent_after_submit() -> Agent:
    agent = Agent(model=None, tools=None, dialect=Dialect("cwm"))
    agent.ep.patch = PATCH
    return agent


def _reply(text: str):
    from forager.agent.model import Reply
    return Reply(text="<think>\n" + text, finish_reason="stop", prompt_tokens=10, completion_tokens=5,
                 latency=0.0, stop_token="<|eot_id|>")


def test_final_answer_after_a_submit_ends_the_episode():
    # cwm/rl/envs/envs/swerl_tool.py L462-477: one </think>, no tool call, a patch submitted.
    agent = _agent_after_submit()
    with pytest.raises(EpisodeEnd) as end:
        agent._step_cwm(_reply(T4), TurnRecord(index=0, latency=0))
    assert end.value.status == ExitStatus.submitted
    assert agent.ep.messages[-1].content == "<think>\n" + T4 and agent.ep.messages[-1].reasoning == "Done."


@pytest.mark.parametrize("text,count", [("## Done, no reasoning end.", 0), ("a</think>b</think>## Done.", 2)])
def test_zero_or_two_think_ends_after_a_submit_are_format_errors(text, count):
    agent = _agent_after_submit()
    turn = TurnRecord(index=0, latency=0)
    agent._step_cwm(_reply(text), turn)
    assert agent.ep.messages[-1] == ChatMessage(
        role="user", content=f"FormatError: Expected exactly one thinking end token, got {count}")
    assert turn.format_error == agent.ep.messages[-1].content


def test_no_tool_call_before_a_submit_is_an_error_not_an_answer():
    agent = Agent(model=None, tools=None, dialect=Dialect("cwm"))
    agent._step_cwm(_reply("Hmm.\n</think>\nI am done."), TurnRecord(index=0, latency=0))
    assert agent.ep.messages[-1] == ChatMessage(role="user", content="FormatError: No tool calls found")


# ------------------------------------------------------------------ the parser
# cwm/rl/envs/envs/swerl_tool.py step (think split) and cwm/rl/swerl/default_tools.py parse_tool_calls.


def test_call_drafted_inside_reasoning_is_ignored():
    turn = cwm.parse_turn(T0)
    assert (turn.name, turn.tool_input) == ("bash", "ls")
    assert "rm -rf" in turn.reasoning
    with pytest.raises(cwm.CwmError, match="^No tool calls found$"):
        cwm.parse_turn("<tool: bash>\nls\n</tool>\n</think>\nnothing here")


@pytest.mark.parametrize("text,count", [("<tool: bash>\nls\n</tool>", 0),
                                        ("a\n</think>\nb</think>\n<tool: bash>\nls\n</tool>", 2)])
def test_zero_or_two_think_ends_are_format_errors(text, count):
    with pytest.raises(cwm.CwmError) as err:
        cwm.parse_turn(text)
    assert err.value.feedback == f"FormatError: Expected exactly one thinking end token, got {count}"


def test_text_after_the_call_is_allowed():
    turn = cwm.parse_turn(T1)
    assert turn.name == "edit" and turn.tool_input.endswith(">>>>>>> REPLACE")
    assert turn.answer.endswith("</tool>\nThat should do.")


@pytest.mark.parametrize("answer,feedback", [
    ("<tool: bash>\na\n</tool>\n<tool: edit>\nb\n</tool>",
     "FormatError: Expected one tool call, but found 2: bash, edit. Ensure only one <tool:...></tool> block is "
     "present in the response."),
    ("<tool: bash>ls</tool>",
     "FormatError: Mismatch in tool tag counts: found 0 tool calls via regex, but counted 1 opening tags and 1 "
     "closing tags."),
    ("<tool:bash>\nls\n</tool>",
     "FormatError: Mismatch in tool tag counts: found 0 tool calls via regex, but counted 1 opening tags and 1 "
     "closing tags."),
    ("I will mention </tool> here.\n<tool: bash>\nls\n</tool>",
     "FormatError: Mismatch in tool tag counts: found 1 tool calls via regex, but counted 1 opening tags and 2 "
     "closing tags."),
    ("just prose", "FormatError: No tool calls found"),
    ("<tool: bash>\n  \n</tool>",
     "FormatError: Tool 'bash' requires non-empty arguments, but received empty or whitespace-only input."),
    ("<tool: foo>\nx\n</tool>", "NoSuchToolError: Tool 'foo' not found."),
])
def test_cwm_error_messages(answer, feedback):
    with pytest.raises(cwm.CwmError) as err:
        cwm.parse_turn("r\n</think>\n" + answer)
    assert err.value.feedback == feedback


def test_without_reasoning_the_whole_turn_is_parsed():
    turn = cwm.parse_turn("Listing.\n<tool: bash>\nls -la\n</tool>", think=False)
    assert (turn.name, turn.tool_input, turn.reasoning) == ("bash", "ls -la", "")
    with pytest.raises(cwm.CwmError, match="Mismatch"):
        cwm.parse_turn("x</think>\n<tool: bash>ls</tool>", think=False)


def test_the_newline_before_the_closing_tag_is_not_input():
    assert cwm.parse_turn("</think>\n<tool: bash>\necho a\n\n</tool>").tool_input == "echo a\n"


# ------------------------------------------------------------------ observations and budget


def test_observation_body_exact():
    # cwm/rl/envs/envs/swerl_tool.py L239-268: output kept as is, one blank line, no newline at the end.
    assert cwm.observation_body("hello\n", 127, 12345) == (
        "<output>\nhello\n\n</output>\n\n<budget>\n* Remaining turns: 127\n* Remaining tokens: 12345\n</budget>")
    assert cwm.observation_body("", 1, -5) == (
        "<output>\n\n</output>\n\n<budget>\n* Remaining turns: 1\n* Remaining tokens: -5\n</budget>")
    assert cwm.budget_probe("x").endswith("* Remaining turns: {remaining_turns}\n"
                                          "* Remaining tokens: {remaining_tokens}\n</budget>")


def test_remaining_tokens_subtract_the_observation_with_placeholders():
    class Counter:  # a token counter: one token per byte
        name, sampling = "m", None

        def count_tokens(self, text):
            return len(text.encode())

    agent = Agent(model=Counter(), tools=None, dialect=Dialect("cwm"))
    agent.ep.turns = [TurnRecord(index=0, latency=0)]
    agent.context_used = 1000
    agent._observe_cwm("bash", "hi\n")
    probe = "<|start_header_id|>tool: bash<|end_header_id|>\n\n" + cwm.budget_probe("hi\n") + "<|eot_id|>"
    assert agent.ep.messages[-1].content == cwm.observation_body("hi\n", 127, 131072 - 1000 - len(probe.encode()))


def test_submit_refusals():
    # cwm/rl/swerl/tools.py submit_diff_file
    assert cwm.submit_failure("p", None) == "Failed to submit p. Make sure it exists and is readable."
    assert cwm.submit_failure("p", " \n") == "Failed to submit p. It is an empty file."
    assert cwm.submit_failure("p", "--- a\n") == "Failed to submit p. It is not a valid diff file."
    assert cwm.submit_failure("p", PATCH) is None


def test_bash_session_sentences():
    # cwm/rl/swerl/tools.py bash_feedback_default
    assert cwm.SESSION_TIMEOUT == ("The current session has terminated due to timeout. A fresh session has started "
                                   "with the current working directory reset to default.")


def test_stop_token_from_the_server():
    # cwm/text/tokenizers.py stop_tokens: eom 128008, eot 128009, end_of_text 128001.
    assert stop_token({"finish_reason": "stop", "stop_reason": 128008}) == "<|eom_id|>"
    assert stop_token({"finish_reason": "stop", "stop_reason": None}) == "<|eot_id|>"
    assert stop_token({"finish_reason": "length"}) == ""


def test_special_tokens_in_bodies_stay_text():
    # Bodies are ordinary text (cwm/text/tokenizers.py encode -> encode_ordinary); a text prompt
    # would turn them into control tokens, so Forager defuses them.
    out = render_prompt([Message(role="tool: bash", content="a<|eot_id|>b")], bos=False, generation_prompt=False)
    assert out == "<|start_header_id|>tool: bash<|end_header_id|>\n\na< |eot_id|>b<|eot_id|>"


# ------------------------------------------------------------------ prompts: CWM's structure, Forager's words

VALUES = {"problem_statement": "test_x fails", "repo": "acme/w", "max_turns": 128, "context_size": 131072,
          "session_timeout": "120-second", "repo_root": "/testbed", "failing_tests": "- test_x"}


def _system(think: bool) -> str:
    parts = [fill_prompt(load_prompt(n), **VALUES) for n in ("cwm_identity", "cwm_reasoning", "cwm_environment")]
    return cwm_system_prompt(*parts, think=think)


def test_system_prompt_structure():
    # cwm/rl/envs/prompts.py (preamble, "# Environment"), cwm/rl/envs/envs/swerl_tool.py SYSTEM_UBUNTU.
    text = _system(True)
    head, env = text.split("\n\n# Environment\n\n")
    assert re.fullmatch(r"[^\n]+ [^\n]+:\n\n<think>\n[^\n]+\n</think>\n[^\n]+", head)
    paragraph, rest = env.split("\n\n", 1)
    assert "120-second" in paragraph and "131072" in paragraph and "128" in paragraph and paragraph.endswith(":")
    blocks, requirements = rest.split("\n\nREQUIREMENTS:\n")
    shapes = ["<tool: bash>\n[command(s)]\n</tool>\n",
              "<tool: edit>\n[path]\n<<<<<<< SEARCH\n[search_lines]\n=======\n[replacement_lines]\n>>>>>>> REPLACE\n"
              "</tool>\n", "<tool: create>\n[path]\n[content]\n</tool>\n", "<tool: submit>\n[result]\n</tool>\n"]
    for block, shape in zip(blocks.split("\n\n"), shapes, strict=True):
        assert block.startswith(shape) and "\n" not in block[len(shape):]
    assert [line[:2] for line in requirements.split("\n")] == ["* "] * 3
    assert not text.endswith("\n")
    no_think = _system(False)
    assert "<think>" not in no_think and no_think.split("\n\n# Environment\n\n")[1] == env


def test_prompts_are_forager_words_not_cwms():
    text = _system(True) + fill_prompt(load_prompt("cwm_user_issue_fix"), **VALUES)
    for cwm_sentence in ("You are a helpful AI assistant.", "You always reason before responding",
                         "The container session is persistent", "Executes bash command(s)",
                         "Marks [result] as your final submission", "You cannot invoke more than one tool",
                         "Solve the following issue", "I've uploaded the corresponding code repository"):
        assert cwm_sentence not in text


@pytest.mark.parametrize("name", ["cwm_user_issue_fix", "cwm_user_mutate_fix"])
def test_user_prompt_structure(name):
    # cwm/rl/envs/envs/swerl_tool.py USER_ISSUE_SOLVING: instruction, description block, how to submit,
    # final response with a markdown outline of four sections, objective, where the repository is.
    text = fill_prompt(load_prompt(name), **VALUES)
    paras = text.split("\n\n")
    assert paras[0].endswith(":") and paras[1] == "<issue_description>\ntest_x fails\n</issue_description>"
    assert paras[2].startswith("For <tool: submit>, [result] is the path of a patch file")
    fence = text[text.index("```markdown\n"):text.index("\n```\n") + 4]
    assert re.findall(r"^## .+$", fence, re.M) == ["## Issue Summary", "## Investigation and Reproduction",
                                                   "## Solution and Code Changes", "## Testing and Verification"]
    assert paras[-1].startswith("The repository is at /testbed") and not text.endswith("\n")


# ------------------------------------------------------------------ CWM's edit and create (shell server)


@pytest.fixture(scope="module")
def server():
    spec = importlib.util.spec_from_file_location("shell_server", PACKAGE_DIR / "images" / "helpers" / "shell_server.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cwm_edit_success_snippet(server, tmp_path):
    # cwm/rl/swerl/plugins/edit.py: line, num_lines (+1 for a trailing newline), ±8 lines, f"{i:6}\t{line}".
    (tmp_path / "a.py").write_text("".join(f"l{i}\n" for i in range(1, 21)))
    ok, msg, parts = server.cwm_edit("a.py\n<<<<<<< SEARCH\nl10\n=======\nX\nY\n>>>>>>> REPLACE", str(tmp_path))
    assert ok and tuple(parts) == ("a.py", "l10", "X\nY")
    lines = "\n".join(f"{i:6}\t{t}" for i, t in enumerate(
        ["l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "X", "Y", "l11", "l12", "l13", "l14", "l15", "l16",
         "l17", "l18"], start=2))
    assert msg == ("File a.py has been successfully updated at line 10 and now contains 22 lines. The surrounding "
                   f"lines after the edit are shown below:\n{lines}\nReview the changes and make sure they are as "
                   "expected.")


def test_cwm_edit_failures(server, tmp_path):
    (tmp_path / "a.py").write_text("    x = 1\ny = 2\ny = 2\n")
    d = str(tmp_path)
    assert server.cwm_edit("a.py\nno markers", d)[1].startswith("Failed to parse the edit tool call.")
    assert server.cwm_edit("b.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE", d)[1] == (
        "The path b.py does not exist. Please provide a valid path.")
    assert server.cwm_edit("a.py\n<<<<<<< SEARCH\nx = 1\n=======\nb\n>>>>>>> REPLACE", d)[1] == (
        "No replacement was performed, the search lines did not appear verbatim in a.py. The search lines must "
        "exactly match one or more consecutive lines from the file, with indentations preserved.")
    assert server.cwm_edit("a.py\n<<<<<<< SEARCH\ny = 2\n=======\nb\n>>>>>>> REPLACE", d)[1] == (
        "No replacement was performed. Multiple occurrences of the search text in lines [2, 3] of a.py. "
        "Please ensure it is unique.")


def test_cwm_create(server, tmp_path):
    # cwm/rl/swerl/plugins/create.py: content written as is, lines = count("\n") + 1.
    d = str(tmp_path)
    assert server.cwm_create("n.py\nprint(1)\nprint(2)", d) == (True, "File created successfully at: n.py (2 lines).")
    assert (tmp_path / "n.py").read_text() == "print(1)\nprint(2)"
    assert server.cwm_create("n.py\nx", d) == (False, "n.py already exists. Cannot create a new file at an "
                                                        "existing path.")
    assert server.cwm_create("\nx", d) == (False, "Path is empty. Please provide a valid path.")
    assert server.cwm_create("no/such/n.py\nx", d)[1] == (
        f"File creation failed. The parent directory {tmp_path}/no/such does not exist.")
