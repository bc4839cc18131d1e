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


def _play(policy, repo, tmp_path):
    """Run the oracle's turns against a checkout with the edit tool's rule (the search must match once)."""
    from forager.agent.llama3 import Message
    from forager.agent.protocol import BashCall
    messages = [Message(role="user", content="fix it")]
    for _ in range(40):
        text = policy.complete(messages).text
        messages.append(Message(role="assistant", content=text))
        if "<tool:" not in text:
            return messages
        call = parse_tool_call(text).call
        out = "ok"
        if isinstance(call, BashCall):
            cmd = call.command.replace("/testbed", str(repo))
            for p in (PATCH_PATH, "/tmp/.oracle-gold.patch"):
                cmd = cmd.replace(p, str(tmp_path / p.rsplit("/", 1)[1]))
            subprocess.run(cmd, shell=True, check=True)
        elif isinstance(call, CreateCall):
            target = call.path if not call.path.startswith("/tmp/") else str(tmp_path / call.path.rsplit("/", 1)[1])
            target = target.replace("/testbed", str(repo))
            with open(target, "w") as fh:
                fh.write(call.content)
        elif isinstance(call, EditCall):
            p = repo / call.path.removeprefix("/testbed/")
            text_now = p.read_text()
            if text_now.count(call.search) != 1:
                out = f"edit failed: {call.path}: the search lines were found {text_now.count(call.search)} times"
            else:
                p.write_text(text_now.replace(call.search, call.replace))
        messages.append(Message(role="tool: x", content=out))
    raise AssertionError("the oracle did not finish")


def test_a_hunk_whose_old_lines_repeat_in_the_file_is_applied_by_git(tmp_path):
    from forager.agent.oracle import OraclePolicy
    repo = tmp_path / "repo"
    body = "".join(f"    v{i} = {i}\n" for i in range(9))
    twice = f"def f():\n{body}\n\ndef g():\n{body}"
    # The second function's middle line changes: the hunk's old lines, context and all, occur twice.
    fixed = twice[:twice.rindex("    v4 = 4")] + "    v4 = 40\n" + twice[twice.rindex("    v5 = 5"):]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "m.py").write_text(twice)
    (repo / "other.py").write_text("x = 1\n")
    subprocess.run(f"cd {repo} && git add . && git -c user.name=a -c user.email=a@b commit -qm base", shell=True, check=True)
    (repo / "m.py").write_text(fixed)
    (repo / "other.py").write_text("x = 2\n")
    gold = subprocess.run(["git", "-C", str(repo), "diff"], capture_output=True, text=True, check=True).stdout
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "--", "."], check=True)
    messages = _play(OraclePolicy(gold), repo, tmp_path)
    assert any("edit failed" in m.content for m in messages)  # the edit was refused, then git applied it
    assert (repo / "m.py").read_text() == fixed and (repo / "other.py").read_text() == "x = 2\n"
    assert (tmp_path / "fix.patch").read_text() == gold
