"""The tool-call parser: every accepted shape, every error, and exact round trips."""

import pytest
from pydantic import ValidationError

from forager.agent.protocol import (
    BashCall,
    CreateCall,
    EditCall,
    FormatError,
    SubmitCall,
    has_tool_call,
    parse_tool_call,
    render_tool_call,
    restore_stop,
    stop_strings,
)


def _error(text: str) -> str:
    with pytest.raises(FormatError) as info:
        parse_tool_call(text)
    assert info.value.message == str(info.value)
    return info.value.message


# ---------------------------------------------------------------- accepted calls


def test_bash_with_reasoning():
    turn = parse_tool_call("Let me look around.\n\n<tool: bash>\nls -la /testbed\n</tool>")
    assert turn.reasoning == "Let me look around."
    assert turn.call == BashCall(command="ls -la /testbed")
    assert turn.call_text == "<tool: bash>\nls -la /testbed\n</tool>"
    assert turn.trailing == ""


def test_bash_keeps_commands_byte_for_byte():
    body = "cd /testbed\n  cat <<'EOF' > /tmp/x.py\n\tprint(1)\nEOF\n\npython /tmp/x.py"
    turn = parse_tool_call(f"<tool: bash>\n{body}\n</tool>")
    assert turn.call.command == body


def test_bash_without_newline_before_close():
    assert parse_tool_call("<tool: bash>\nls</tool>").call == BashCall(command="ls")


def test_tag_without_space_and_with_padding():
    assert parse_tool_call("<tool:bash>\nls\n</tool>").call.command == "ls"
    assert parse_tool_call("<tool:  bash >\nls\n</tool>").call.command == "ls"


def test_reasoning_with_think_block_is_kept():
    text = "<think>\nThe test fails in parse().\n</think>\nI will read it.\n<tool: bash>\ncat a.py\n</tool>"
    assert parse_tool_call(text).reasoning == "<think>\nThe test fails in parse().\n</think>\nI will read it."


def test_no_reasoning():
    assert parse_tool_call("<tool: bash>\npwd\n</tool>").reasoning == ""


def test_text_after_close_is_ignored():
    turn = parse_tool_call("<tool: bash>\npwd\n</tool>\n\nI expect to see /testbed.\n")
    assert turn.call.command == "pwd"
    assert turn.trailing == "I expect to see /testbed."


def test_edit():
    text = (
        "Fix the operator.\n"
        "<tool: edit>\n"
        "/testbed/pkg/mod.py\n"
        "<<<<<<< SEARCH\n"
        "    if a < b:\n"
        "        return a\n"
        "=======\n"
        "    if a > b:\n"
        "        return a\n"
        ">>>>>>> REPLACE\n"
        "</tool>"
    )
    call = parse_tool_call(text).call
    assert call == EditCall(
        path="/testbed/pkg/mod.py",
        search="    if a < b:\n        return a\n",
        replace="    if a > b:\n        return a\n",
    )


def test_edit_empty_replacement_deletes():
    text = "<tool: edit>\na.py\n<<<<<<< SEARCH\nx = 1\n=======\n>>>>>>> REPLACE\n</tool>"
    call = parse_tool_call(text).call
    assert call.search == "x = 1\n" and call.replace == ""


def test_edit_keeps_blank_lines_and_tolerates_marker_trailing_spaces():
    text = "<tool: edit>\na.py\n\n<<<<<<< SEARCH  \nx = 1\n\n=======\nx = 2\n\n>>>>>>> REPLACE\n\n</tool>"
    call = parse_tool_call(text).call
    assert call.search == "x = 1\n\n" and call.replace == "x = 2\n\n"


def test_create():
    call = parse_tool_call("<tool: create>\n/tmp/repro.py\nimport pkg\nprint(pkg.f())\n</tool>").call
    assert call == CreateCall(path="/tmp/repro.py", content="import pkg\nprint(pkg.f())\n")


def test_create_content_always_ends_with_newline():
    assert parse_tool_call("<tool: create>\na.txt\nhello</tool>").call.content == "hello\n"


def test_create_keeps_trailing_blank_line():
    assert parse_tool_call("<tool: create>\na.txt\nhello\n\n</tool>").call.content == "hello\n\n"


def test_create_empty_file():
    assert parse_tool_call("<tool: create>\npkg/__init__.py\n</tool>").call.content == ""


def test_create_content_may_contain_tool_tags():
    content = "<tool: bash>\nls\n"
    call = parse_tool_call(f"<tool: create>\ndoc.txt\n{content}</tool>").call
    assert call.content == content


def test_submit():
    call = parse_tool_call("Done.\n<tool: submit>\n/tmp/fix.patch\n</tool>").call
    assert call == SubmitCall(path="/tmp/fix.patch")


def test_submit_path_is_stripped():
    assert parse_tool_call("<tool: submit>\n  /tmp/fix.patch  \n\n</tool>").call.path == "/tmp/fix.patch"


# ---------------------------------------------------------------- errors


def test_no_tool_call():
    message = _error("I think the bug is in parse().")
    assert "no tool call" in message and "<tool: bash>" in message


def test_empty_text():
    assert "no tool call" in _error("")


def test_inline_tag_must_start_its_own_line():
    assert "must start its own line" in _error("Now I run <tool: bash>ls</tool>")


def test_close_without_open():
    assert "no opening" in _error("ls\n</tool>")


def test_two_tool_calls():
    message = _error("<tool: bash>\nls\n</tool>\n<tool: bash>\npwd\n</tool>")
    assert "2 tool calls" in message


def test_three_tool_calls():
    text = "<tool: bash>\nls\n</tool>\n<tool: bash>\npwd\n</tool>\n<tool: submit>\n/tmp/p\n</tool>"
    assert "3 tool calls" in _error(text)


def test_unknown_tool():
    message = _error("<tool: python>\nprint(1)\n</tool>")
    assert "no tool named 'python'" in message and "bash, edit, create, submit" in message


def test_tool_names_are_case_sensitive():
    assert "no tool named 'Bash'" in _error("<tool: Bash>\nls\n</tool>")


def test_empty_tool_name():
    assert "names no tool" in _error("<tool: >\nls\n</tool>")


def test_unterminated_block():
    assert "never closed" in _error("<tool: bash>\nls -la\n")


def test_unterminated_at_tag():
    assert "never closed" in _error("<tool: bash>")


def test_input_on_tag_line():
    assert "on the lines after the tag" in _error("<tool: bash> ls\n</tool>")


def test_empty_bash():
    assert "bash call is empty" in _error("<tool: bash>\n   \n</tool>")


def test_bash_with_unclosed_first_block():
    assert "inside the bash call" in _error("<tool: bash>\nls\n<tool: bash>\npwd\n</tool>")


def test_submit_without_path():
    assert "names no file" in _error("<tool: submit>\n\n</tool>")


def test_submit_with_two_lines():
    assert "one line" in _error("<tool: submit>\n/tmp/a.patch\n/tmp/b.patch\n</tool>")


def test_create_without_path():
    assert "create call has no path" in _error("<tool: create>\n\nprint(1)\n</tool>")


def test_edit_without_path():
    text = "<tool: edit>\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n</tool>"
    assert "edit call has no path" in _error(text)


def test_edit_missing_search_marker():
    assert "no <<<<<<< SEARCH line" in _error("<tool: edit>\na.py\na\n=======\nb\n>>>>>>> REPLACE\n</tool>")


def test_edit_missing_replace_marker():
    assert "no >>>>>>> REPLACE line" in _error("<tool: edit>\na.py\n<<<<<<< SEARCH\na\n=======\nb\n</tool>")


def test_edit_missing_divider():
    message = _error("<tool: edit>\na.py\n<<<<<<< SEARCH\na\nb\n>>>>>>> REPLACE\n</tool>")
    assert "no ======= line" in message and "<<<<<<< SEARCH" in message


def test_edit_markers_out_of_order():
    text = "<tool: edit>\na.py\n>>>>>>> REPLACE\nb\n=======\na\n<<<<<<< SEARCH\n</tool>"
    assert "comes before" in _error(text)


def test_edit_divider_outside_block():
    text = "<tool: edit>\na.py\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n=======\n</tool>"
    assert "must stand between" in _error(text)


def test_edit_two_blocks():
    block = "<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
    assert "2 <<<<<<< SEARCH lines" in _error(f"<tool: edit>\na.py\n{block}{block}</tool>")


def test_edit_ambiguous_divider():
    text = "<tool: edit>\nREADME.rst\n<<<<<<< SEARCH\nTitle\n=======\n=======\nNew\n>>>>>>> REPLACE\n</tool>"
    assert "2 ======= lines" in _error(text)


def test_edit_empty_search():
    text = "<tool: edit>\na.py\n<<<<<<< SEARCH\n=======\nb\n>>>>>>> REPLACE\n</tool>"
    assert "part of the edit is empty" in _error(text)


def test_edit_text_between_path_and_search():
    text = "<tool: edit>\na.py\nhere it comes\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n</tool>"
    assert "between the path and" in _error(text)


def test_edit_text_after_replace():
    text = "<tool: edit>\na.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\nmore\n</tool>"
    assert "may follow >>>>>>> REPLACE" in _error(text)


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    "call",
    [
        BashCall(command="ls"),
        BashCall(command="cd /testbed && python -m pytest -x tests/test_a.py\n\necho done"),
        BashCall(command="  indented first line"),
        EditCall(path="a.py", search="x = 1\n", replace="x = 2\n"),
        EditCall(path="a.py", search="x = 1\n\n", replace=""),
        EditCall(path="dir with space/b.py", search="\tif a:\n\t\tpass\n", replace="\tif b:\n"),
        CreateCall(path="/tmp/t.py", content="print(1)\n"),
        CreateCall(path="/tmp/t.py", content="print(1)\n\n\n"),
        CreateCall(path="/tmp/empty.py", content=""),
        CreateCall(path="/tmp/notes.txt", content="<tool: bash>\nls\n</tool-not>\n"),
        SubmitCall(path="/tmp/fix.patch"),
    ],
)
def test_round_trip(call):
    text = render_tool_call(call)
    turn = parse_tool_call("Reasoning first.\n" + text)
    assert turn.call == call
    assert turn.call_text == text


def test_render_exact_text():
    call = EditCall(path="a.py", search="x = 1\n", replace="x = 2\n")
    assert render_tool_call(call) == (
        "<tool: edit>\na.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n</tool>"
    )
    assert render_tool_call(BashCall(command="ls")) == "<tool: bash>\nls\n</tool>"
    assert render_tool_call(CreateCall(path="p", content="")) == "<tool: create>\np\n</tool>"


def test_models_normalise_missing_final_newline():
    assert EditCall(path="a", search="x", replace="y").search == "x\n"
    assert CreateCall(path="a", content="x").content == "x\n"


def test_edit_with_marker_line_cannot_be_written():
    with pytest.raises(ValidationError):
        EditCall(path="README.rst", search="Title\n=======\n", replace="T\n")


def test_call_dumps_with_tool_name():
    call = parse_tool_call("<tool: submit>\n/tmp/p\n</tool>").call
    assert call.model_dump() == {"tool": "submit", "path": "/tmp/p"}


# ---------------------------------------------------------------- helpers


def test_has_tool_call():
    assert has_tool_call("ok\n<tool: bash>\nls\n</tool>")
    assert has_tool_call("<tool: nonsense>")
    assert not has_tool_call("The fix is submitted.")
    assert not has_tool_call("I used the <tool: edit> tool to fix it.")


def test_stop_strings():
    stops = stop_strings()
    assert stops == ["</tool>"]
    stops.append("x")
    assert stop_strings() == ["</tool>"]


def test_restore_stop_with_reported_stop_reason():
    assert restore_stop("<tool: bash>\nls\n", stop_reason="</tool>") == "<tool: bash>\nls\n</tool>"


def test_restore_stop_is_idempotent():
    text = "<tool: bash>\nls\n</tool>"
    assert restore_stop(text, stop_reason="</tool>") == text


def test_restore_stop_without_stop_reason():
    assert restore_stop("<tool: bash>\nls\n", finish_reason="stop") == "<tool: bash>\nls\n</tool>"


def test_restore_stop_leaves_other_endings():
    assert restore_stop("Done, the patch is in.", finish_reason="stop") == "Done, the patch is in."
    assert restore_stop("<tool: bash>\nls\n", finish_reason="length") == "<tool: bash>\nls\n"
    # Stopped on an end-of-turn token id, not on the stop string: nothing to restore.
    open_block = "<tool: bash>\nls\n"
    assert restore_stop(open_block, stop_reason=128009, finish_reason="stop") == open_block
