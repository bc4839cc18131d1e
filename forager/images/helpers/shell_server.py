"""In-container helper: one persistent bash per episode, driven with JSON lines.

Forager starts this once per episode over an attached `docker exec` and then sends requests
on stdin; each answer is one JSON line on stdout. Requests:
  {"op": "bash", "cmd": "...", "timeout": 120, "cap": 20000}
  {"op": "edit", "path": "...", "search": "...", "replace": "..."}
  {"op": "create", "path": "...", "content": "..."}
  {"op": "read", "path": "...", "cap": 1000000}
  {"op": "cwm_edit", "command": "..."}, {"op": "cwm_create", "command": "..."}
      CWM's edit and create tools (facebookresearch/cwm cwm/rl/swerl/plugins/edit.py and
      create.py): the whole tool input in, CWM's exact feedback out; relative paths are
      taken from the shell's working directory, as CWM's plugins run inside its session.
  {"op": "ping"}
Commands run in the same bash (cd and export persist) with stdin from /dev/null. The time
limit is enforced here: on expiry the whole process group is killed and a fresh bash starts.
With FORAGER_FILE_LIMIT set (the container's disk budget, in bytes), no file a command writes
may grow past it (RLIMIT_FSIZE: the writer gets SIGXFSZ), and no command dumps core.
"""

import json
import os
import re
import resource
import select
import signal
import subprocess
import sys
import time
import uuid

ROOT = "/testbed"
SCRATCH = "/tmp/.forager-shell"
MARK = "__FORAGER_END_"
MAX_GROUP_PROCESSES = 64  # more left running after a command than this is a fork bomb, not a server
FILE_LIMIT = int(os.environ.get("FORAGER_FILE_LIMIT") or 0)
EXIT_FILE_TOO_BIG = 128 + signal.SIGXFSZ
ENV_EXTRA = {"PAGER": "cat", "GIT_PAGER": "cat", "TERM": "dumb", "LESS": "-R", "PYTHONUNBUFFERED": "1"}


class Output:
    """Keeps the first and last half of `cap` bytes of a stream and counts what fell between."""

    def __init__(self, cap):
        self.half, self.head, self.tail, self.dropped = max(cap // 2, 512), bytearray(), bytearray(), 0

    def add(self, data):
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        excess = len(self.tail) - (self.half + 256)  # spare room so the end marker is never cut
        if excess > 0:
            del self.tail[:excess]
            self.dropped += excess

    def window(self, n):
        """The last n bytes of the stream (head and tail are contiguous until something is dropped)."""
        return bytes((b"" if self.dropped else self.head[-n:]) + self.tail)[-n:]

    def finish(self, cut=0):
        """(head, tail) without the last `cut` bytes (the end marker and anything after it)."""
        head, tail = bytes(self.head), bytes(self.tail)
        if cut <= len(tail):
            return head, tail[: len(tail) - cut]
        return (head + tail)[: len(head) + len(tail) - cut], b""


def _limit_files():
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core dump could land on the host


def _size(n):
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n} B"


class Shell:
    def __init__(self):
        os.makedirs(SCRATCH, exist_ok=True)
        self.proc = None
        self.start()

    def start(self):
        env = dict(os.environ, **ENV_EXTRA)
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, cwd=ROOT if os.path.isdir(ROOT) else "/", env=env,
            start_new_session=True, preexec_fn=_limit_files if FILE_LIMIT else None)

    def kill(self):
        for _ in range(20):  # repeat: a fork bomb keeps adding members to the group
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.05)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def run(self, cmd, timeout, cap):
        token = uuid.uuid4().hex
        script = os.path.join(SCRATCH, token + ".sh")
        with open(script, "w") as fh:
            fh.write(cmd + "\n")
        # `source` keeps cd/export in this shell; a syntax error stays inside the file.
        line = f'source {script} < /dev/null; printf "\\n{MARK}{token}:%d\\n" "$?"\n'
        t0 = time.monotonic()
        try:
            self.proc.stdin.write(line.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._restart_answer(t0, "the shell had exited; a new shell was started", Output(cap))
        try:
            return self._collect(token, t0, timeout, Output(cap))
        finally:
            # Removed here, not by the shell: an `rm` child still running would look like a
            # background job to _contain.
            try:
                os.unlink(script)
            except OSError:
                pass

    def _collect(self, token, t0, timeout, out):
        end = re.compile(rb"\n?" + (MARK + token).encode() + rb":(-?\d+)\n")
        fd = self.proc.stdout.fileno()
        deadline = t0 + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                return self._restart_answer(t0, f"the command timed out after {timeout:g} s and was killed; "
                                                "a new shell was started (cd and exports were reset)", out, timed_out=True)
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            data = os.read(fd, 65536)
            if not data:
                self.proc.wait()
                return self._restart_answer(t0, f"the shell exited (code {self.proc.returncode}); "
                                                "a new shell was started (cd and exports were reset)", out)
            out.add(data)
            window = out.window(len(MARK) + 64 + len(data))
            m = end.search(window)
            if m:
                # Output a background job wrote after the marker is dropped with it.
                ans = self._answer(out, int(m.group(1)), t0, cut=len(window) - m.start())
                return self._contain(ans)

    def group_size(self):
        count = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                count += fields[2] == str(self.proc.pid)  # field 5 of stat: process group
        return count

    def _contain(self, ans):
        """Kill what a command left multiplying in the background, and say so."""
        if self.group_size() > 1:
            time.sleep(0.3)  # something was left in the background: give a bomb time to show itself
        if self.group_size() <= MAX_GROUP_PROCESSES:
            return ans
        self.kill()
        self.start()
        ans.update(restarted=True, note=f"more than {MAX_GROUP_PROCESSES} processes were left running; "
                                        "they were killed and a new shell was started (cd and exports were reset)")
        return ans

    def _answer(self, out, code, t0, cut=0, note="", timed_out=False, restarted=False):
        if FILE_LIMIT and code == EXIT_FILE_TOO_BIG and not note:
            note = (f"exit code {code}: a file reached the container's disk budget ({_size(FILE_LIMIT)}) "
                    "and the process writing it was stopped")
        head, tail = out.finish(cut)
        return {"exit_code": code, "head": head.decode("utf-8", "replace"), "tail": tail.decode("utf-8", "replace"),
                "dropped": out.dropped, "timed_out": timed_out, "restarted": restarted, "note": note,
                "duration": round(time.monotonic() - t0, 4)}

    def _restart_answer(self, t0, note, out, timed_out=False):
        self.start()
        return self._answer(out, -1, t0, note=note, timed_out=timed_out, restarted=True)


def _path(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


def _numbered(lines, first, last):
    return "\n".join(f"{n:>6}\t{lines[n - 1]}" for n in range(first, last + 1))


def edit(req):
    path = _path(req["path"])
    if not os.path.isfile(path):
        return {"error": f"{req['path']}: no such file"}
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        text = fh.read()
    search, replace = req["search"], req["replace"]
    count = text.count(search) if search else 0
    if count != 1:
        why = "the search lines are empty" if not search else (
            "the search lines were not found" if count == 0 else f"the search lines were found {count} times")
        return {"error": f"{req['path']}: {why}; they must match exactly once"}
    at = text.index(search)
    new = text[:at] + replace + text[at + len(search):]
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(new)
    lines = new.splitlines()
    first = text[:at].count("\n") + 1
    last = first + max(replace.count("\n"), 1) - 1
    lo, hi = max(1, first - 3), min(len(lines), last + 3)
    return {"ok": True, "region": _numbered(lines, lo, hi) if lines else "", "first": first, "last": last}


def create(req):
    path = _path(req["path"])
    if os.path.lexists(path):
        return {"error": f"{req['path']}: already exists (use edit to change it)"}
    parent = os.path.dirname(path) or "/"
    if not os.path.isdir(parent):
        return {"error": f"{req['path']}: the parent directory {parent} does not exist"}
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(req["content"])
    return {"ok": True, "lines": req["content"].count("\n")}


def read(req):
    path = _path(req["path"])
    if not os.path.isfile(path):
        return {"error": f"{req['path']}: no such file"}
    with open(path, "rb") as fh:
        data = fh.read(req.get("cap", 1_000_000) + 1)
    return {"ok": True, "content": data.decode("utf-8", "replace"), "too_big": len(data) > req.get("cap", 1_000_000)}


# ---------------------------------------------------------------- CWM's edit and create tools
# Same behaviour and messages as facebookresearch/cwm cwm/rl/swerl/plugins/edit.py and
# create.py (the messages are formats CWM was trained to read).

CWM_EDIT_RE = re.compile(r"(.*)\n<<<<<<< SEARCH\n([\s\S]*?)\n=======\n([\s\S]*?)\n>>>>>>> REPLACE")
CWM_EDIT_FORMAT = ("Failed to parse the edit tool call. Make sure it has the following format:\n\n"
                   "<tool: edit>\n[path]\n<<<<<<< SEARCH\n[search_lines]\n=======\n[replacement_lines]\n"
                   ">>>>>>> REPLACE\n</tool>")
CWM_SNIPPET_LINES = 8


def _positions(text, part):
    found, start = [], 0
    while True:
        at = text.find(part, start)
        if at < 0:
            return found
        found.append(at)
        start = at + 1


def _in_cwd(path, cwd):
    return path if os.path.isabs(path) else os.path.join(cwd, path)


def cwm_edit(command, cwd):
    blocks = CWM_EDIT_RE.findall(command)
    if not blocks:
        return False, CWM_EDIT_FORMAT, None
    if len(blocks) > 1:
        return False, f"Only one search/replace block is allowed. Got: {len(blocks)}.", None
    path, search, replace = blocks[0]
    real = _in_cwd(path, cwd)
    if not os.path.exists(real):
        return False, f"The path {path} does not exist. Please provide a valid path.", None
    with open(real, encoding="utf-8", errors="surrogateescape") as fh:
        text = "\n" + fh.read()
    search = "\n" + search
    hits = _positions(text, search)
    if not hits:
        msg = f"No replacement was performed, the search lines did not appear verbatim in {path}."
        first = search[1:].split("\n", 1)[0]
        if first.lstrip() in text:
            msg += (" The search lines must exactly match one or more consecutive lines from the file, "
                    "with indentations preserved.")
        return False, msg, None
    if len(hits) > 1:
        lines = [n + 1 for n, at in enumerate(_positions(text, "\n")) if text.startswith(search, at)]
        return False, (f"No replacement was performed. Multiple occurrences of the search text in lines {lines} "
                       f"of {path}. Please ensure it is unique."), None
    replace = "\n" + replace
    new = text.replace(search, replace)[1:]
    with open(real, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(new)
    line = text.count("\n", 0, hits[0]) + 1
    first_line = max(1, line - CWM_SNIPPET_LINES)
    last_line = line + CWM_SNIPPET_LINES + replace.count("\n") - 1
    shown = new.split("\n")[first_line - 1:last_line]
    snippet = "\n".join(f"{i:6}\t{text_line}" for i, text_line in enumerate(shown, start=first_line))
    return True, (f"File {path} has been successfully updated at line {line} and now contains "
                  f"{new.count(chr(10)) + 1} lines. The surrounding lines after the edit are shown below:\n"
                  f"{snippet}\nReview the changes and make sure they are as expected."), (path, search[1:], replace[1:])


def cwm_create(command, cwd):
    path, _, content = command.partition("\n")
    real = _in_cwd(path, cwd) if path else path
    if path and os.path.exists(real):
        return False, f"{path} already exists. Cannot create a new file at an existing path."
    if path == "":
        return False, "Path is empty. Please provide a valid path."
    parent = os.path.dirname(os.path.abspath(real))
    if not os.path.exists(parent):
        return False, f"File creation failed. The parent directory {parent} does not exist."
    with open(real, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(content)
    return True, f"File created successfully at: {path} ({content.count(chr(10)) + 1} lines)."


def _shell_cwd(shell):
    try:
        return os.readlink(f"/proc/{shell.proc.pid}/cwd")
    except OSError:
        return ROOT


def main():
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)  # `kill -1` from the agent must not end the session
    shell = Shell()
    out = sys.stdout
    for line in sys.stdin:
        req = json.loads(line)
        op = req.get("op")
        try:
            if op == "bash":
                ans = shell.run(req["cmd"], float(req.get("timeout", 120)), int(req.get("cap", 20000)))
            elif op in ("edit", "create", "read"):
                ans = {"edit": edit, "create": create, "read": read}[op](req)
            elif op == "cwm_edit":
                ok, message, parts = cwm_edit(req["command"], _shell_cwd(shell))
                ans = {"ok": ok, "message": message, "parts": parts}
            elif op == "cwm_create":
                ok, message = cwm_create(req["command"], _shell_cwd(shell))
                ans = {"ok": ok, "message": message}
            elif op == "ping":
                ans = {"ok": True}
            else:
                ans = {"error": f"unknown op {op!r}"}
        except OSError as exc:
            ans = {"error": f"{exc.strerror or exc}"}
        out.write(json.dumps(ans) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
