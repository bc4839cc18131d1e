"""The oracle turns a gold patch into tool calls that reproduce it."""

import subprocess

from forager.agent.oracle import oracle_calls, parse_patch
from forager.agent.protocol import CreateCall, EditCall, SubmitCall, parse_tool_call, render_tool_call
from forager.tasks.mutate.patch import unified_diff

OLD = "def f(x):\n    y = x + 1\n    return y\n\n\ndef g():\n    return 2\n"
NEW = "def f(x):\n    y = x - 1\n    return y\n\n\ndef g():\n    return 3\n"


def test_hunks_become_edits_that_reproduce_the_file():
    calls = oracle_calls(unified_diff(OLD, NEW, "pkg/m.py"))
    edits = [c for c in calls if isinstance(c, EditCall)]
    assert edits and isinstance(calls[-1], SubmitCall)
    text = OLD
    for e in edits:
        assert text.count(e.search) == 1
        text = text.replace(e.search, e.replace)
    assert text == NEW


def test_calls_survive_rendering_and_parsing():
    for call in oracle_calls(unified_diff(OLD, NEW, "pkg/m.py")):
        assert parse_tool_call(render_tool_call(call)).call == call


def test_new_and_deleted_files(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "gone.py").write_text("x = 1\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "i"], check=True)
    (tmp_path / "gone.py").unlink()
    (tmp_path / "new.py").write_text("a = 1\nb = 2\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    patch = subprocess.run(["git", "-C", str(tmp_path), "diff", "--cached"], capture_output=True, text=True).stdout
    files = {f.path: f for f in parse_patch(patch)}
    assert files["gone.py"].deleted and files["new.py"].new_file
    creates = [c for c in oracle_calls(patch) if isinstance(c, CreateCall)]
    assert creates[0].path == "/testbed/new.py" and creates[0].content == "a = 1\nb = 2\n"
