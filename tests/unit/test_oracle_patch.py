"""The oracle turns a gold patch into tool calls that reproduce it."""

import subprocess

from forager.agent.oracle import PATCH_PATH, oracle_calls, parse_patch
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


def test_new_files_in_new_and_ignored_folders_replay_to_the_same_patch(tmp_path):
    from forager.agent.protocol import BashCall
    repo, gold = tmp_path / "repo", tmp_path / "gold"

    def git(where, *args):
        return subprocess.run(["git", "-C", str(where), "-c", "user.name=a", "-c", "user.email=a@b", *args],
                              capture_output=True, text=True, check=True).stdout
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("locale/lv\n")  # a folder the fix adds with -f, as humanize's did
    (repo / "m.py").write_text("x = 1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    subprocess.run(["cp", "-r", str(repo), str(gold)], check=True)
    (gold / "pkg" / "sub").mkdir(parents=True)
    (gold / "pkg" / "sub" / "new.py").write_text("a = 1\n")
    (gold / "locale" / "lv").mkdir(parents=True)
    (gold / "locale" / "lv" / "x.po").write_text('msgid "a"\n')
    (gold / "m.py").write_text("x = 2\n")
    git(gold, "add", "-f", ".")
    patch = git(gold, "diff", "--cached")
    for call in oracle_calls(patch):  # the tools' effect, on the base checkout
        if isinstance(call, BashCall):
            cmd = call.command.replace("/testbed", str(repo)).replace(PATCH_PATH, str(tmp_path / "fix.patch"))
            subprocess.run(cmd, shell=True, check=True)
        elif isinstance(call, CreateCall):
            assert (repo / call.path.removeprefix("/testbed/")).parent.is_dir()  # the create tool's rule
            (repo / call.path.removeprefix("/testbed/")).write_text(call.content)
        elif hasattr(call, "search"):
            p = repo / call.path.removeprefix("/testbed/")
            p.write_text(p.read_text().replace(call.search, call.replace))
    replayed = (tmp_path / "fix.patch").read_text()
    assert "pkg/sub/new.py" in replayed and "locale/lv/x.po" in replayed and "+x = 2" in replayed
