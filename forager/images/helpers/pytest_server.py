"""In-container helper: pytest that collects once and runs each mutant in a fork of itself.

Started once per warm container with the repository's own python, in /testbed:
    python pytest_server.py [pytest options and paths]
It imports pytest, configures it and collects the suite, then answers JSON lines on stdin:
  {"op": "ping"}
  {"op": "run", "file": "pkg/mod.py", "source": "...", "first": [ids], "timeout": 30}
A run writes `source` over `file`, runs the tests in a fork (the `first` ones first, stopping
early when they all pass) and restores the tree. `source` null runs the unchanged tree (only
the tests in "only_ids" when given). With "function" and "span" (the mutated function's name
and lines), a swap that changes only that function runs only the `first` tests and those
sharing a long-lived fixture of the repository with them; the answer's "only" lists them.
  {"op": "stable", "tests": [ids], "durations": {id: seconds}}   the baseline's stable passes,
for "confirm": true in a run: the stable tests a mutant did not pass run again unchanged (each
once per server), and the answer says which pass ("confirmed") and which do not ("unconfirmed":
the fork is no judge). "durations" are the tests' times in the coverage run: in a mutant's run
each test is held to its own limit (HangLimits), and one that runs past it ends the run at once
as timed out ("hung_test"). Answers carry "timing" (seconds: the start's phases in the
greeting; plan, covering, ran, clean and confirm, cumulative, in a run's answer).

A fork of the collected session starts from modules imported before the mutant existed, so
the child replaces the code of every changed function in place (`__code__` of each live
function object). That equals a fresh process only when the mutant changes nothing that
already ran: module and class bodies must do the same apart from line numbers, and no changed
function may have run during import or collection (a trace hook records what did). Other
mutants run in a fresh pytest session, forked from a process that imported pytest and nothing
of the repository (the "zygote"). A module the server never imported needs neither: the fork
imports the mutant from disk. Answers say which way ran: mode "swap", "import" or "session".
"""

import gc
import json
import linecache
import os
import select
import signal
import subprocess
import sys
import threading
import time
import types

from forager_first import First  # beside this file

ROOT = "/testbed"
LOG = "/tmp/.forager-pytest-server.log"
CO_OPTIMIZED = 0x1  # set on function code; module and class bodies run at import instead
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
# A test of a mutant is hung when it runs past HANG_FACTOR times its time in the coverage run
# plus HANG_SLACK seconds plus the slowest test's time there (a long-lived fixture is made in
# whichever test runs first, which need not be the one its time was counted in).
HANG_FACTOR, HANG_SLACK = 10.0, 5.0
# The server's own ends of its request and answer streams: no child may hold them, so that the
# caller sees the stream close as soon as the server itself is gone.
PRIVATE_FDS = []


# --- what ran before the fork, and what a mutant changes -------------------------------------

class Ran:
    """The code objects under ROOT that started running while the trace hook was on."""

    def __init__(self):
        self.codes = set()

        # A plain function, not a method: the hook runs on every call of the collection, and
        # this halves what it adds to it (toolz: 1.5 s less at start).
        def hook(frame, event, arg, add=self.codes.add, root=ROOT):
            code = frame.f_code
            if code.co_filename.startswith(root):
                add(code)
            # None: no line tracing, only new frames are seen

        self.hook = hook

    def start(self):
        sys.settrace(self.hook)
        threading.settrace(self.hook)

    def stop(self):
        sys.settrace(None)
        threading.settrace(None)


def key(code):
    return code.co_qualname, code.co_firstlineno, code.co_code


def nested(code):
    return [k for k in code.co_consts if isinstance(k, types.CodeType)]


def walk(code):
    """Every code object in the tree with its position (indexes among code constants)."""
    out, stack = [], [((), code)]
    while stack:
        path, c = stack.pop()
        out.append((path, c))
        stack.extend((path + (i,), k) for i, k in enumerate(nested(c)))
    return sorted(out, key=lambda pc: pc[0])


def import_level(module):
    """(bodies, functions): module and class bodies, which run at import, and the functions
    (comprehensions and lambdas too) they define directly, each with its position."""
    bodies, functions, stack = [], [], [((), module)]
    while stack:
        path, c = stack.pop()
        bodies.append((path, c))
        for i, k in enumerate(nested(c)):
            (functions if k.co_flags & CO_OPTIMIZED else stack).append((path + (i,), k))
    return sorted(bodies, key=lambda pc: pc[0]), sorted(functions, key=lambda pc: pc[0])


_LAST = [None, None, None]  # the last source levels() compiled: (path, source, result)


def levels(src, path):
    """import_level() of a source; the last one is kept, as each mutant is looked at thrice
    (compiling more-itertools' more.py costs a tenth of a second)."""
    if _LAST[0] != path or _LAST[1] != src:
        _LAST[:] = [path, src, import_level(compile(src, path, "exec", dont_inherit=True))]
    return _LAST[2]


def _const(c):
    return ("<code>",) if isinstance(c, types.CodeType) else (type(c).__name__, repr(c))


def semantics(code):
    """What a code object does, without its line numbers or nested code."""
    return (code.co_code, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
            code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags,
            code.co_exceptiontable, code.co_qualname, tuple(_const(c) for c in code.co_consts))


def same_behaviour(a, b):
    """Equal but for line numbers, nested code included."""
    ta, tb = walk(a), walk(b)
    return [p for p, _ in ta] == [p for p, _ in tb] and all(
        semantics(x) == semantics(y) for (_, x), (_, y) in zip(ta, tb))


def _plain_constant(c):
    return c is None or isinstance(c, (bool, int, float, complex, str, bytes)) or (
        isinstance(c, tuple) and all(_plain_constant(x) for x in c))


# MAKE_FUNCTION's flags for what a body may give a function as one folded constant, and the
# function's attribute it becomes: positional defaults; annotations as strings (PEP 563, a flat
# tuple of names and values).
FOLDED = {0x01: "__defaults__", 0x04: "__annotations__"}


def new_defaults(a, b):
    """[(function code, attribute, new value)] when bodies `a` and `b` (module or class) differ
    only in the constant tuples of positional defaults or of string annotations that they give
    to functions they define (a parameter with a default removed, a default changed); None when
    they differ otherwise. Such a tuple is folded by the compiler, nothing runs to build it:
    setting the functions' __defaults__ or __annotations__ is what a fresh import would give."""
    if semantics(a)[1:-1] != semantics(b)[1:-1]:  # but the bytecode (constant indexes move) and constants
        return None
    ops_a, folded_a = _without_folded(a)
    ops_b, folded_b = _without_folded(b)
    if ops_a != ops_b:
        return None
    out = []
    for n, op in enumerate(ops_a):
        if op[0] != "MAKE_FUNCTION":
            continue
        for attr in FOLDED.values():
            if folded_a.get((n, attr)) != folded_b.get((n, attr)):
                code = folded_a.get(("code", n))
                if not isinstance(code, types.CodeType):
                    return None
                value = folded_b.get((n, attr))
                if attr == "__annotations__":
                    value = dict(zip(value[::2], value[1::2])) if value else {}
                out.append((code, attr, value))
    return out


def _without_folded(code):
    """(instructions, folded): the body's instructions as (name, argument or constant) with the
    FOLDED constant tuples of each function taken out (and the flags that say they are there),
    and those tuples under (index of their MAKE_FUNCTION in the list, attribute) (also, under
    ("code", index), the code object of the function made there). A tuple that is not a plain
    constant, or one built otherwise, stays in the instructions."""
    import dis
    ins = list(dis.get_instructions(code))
    drop, makes = set(), {}
    for m, op in enumerate(ins):
        if op.opname != "MAKE_FUNCTION" or not op.arg & 0x05 or m == 0 or ins[m - 1].opname != "LOAD_CONST":
            continue
        for bit, n in _argument_positions(ins, m).items():
            value = code.co_consts[ins[n].arg] if bit in FOLDED and ins[n].opname == "LOAD_CONST" else None
            if isinstance(value, tuple) and _plain_constant(value):
                drop.add(n)
                makes.setdefault(m, {})[bit] = value
    out, folded = [], {}
    for i, op in enumerate(ins):
        if i in drop:
            continue
        if op.opname == "LOAD_CONST":
            out.append((op.opname, _const(code.co_consts[op.arg])))
        elif op.opname == "MAKE_FUNCTION":
            taken = makes.get(i, {})
            for bit, value in taken.items():
                folded[(len(out), FOLDED[bit])] = value
            folded[("code", len(out))] = code.co_consts[ins[i - 1].arg] if ins[i - 1].opname == "LOAD_CONST" else None
            out.append((op.opname, op.arg & ~sum(taken)))
        else:
            out.append((op.opname, op.arg))
    return out, folded


def _argument_positions(ops, make):
    """{flag: index of the instruction that loads that argument} of the MAKE_FUNCTION at
    `make`, when every argument it takes is a single LOAD_CONST or a LOAD_CLOSURE tuple; else {}."""
    flags, m, out = ops[make].arg, make - 2, {}  # ops[make - 1] loads the code
    for bit in (0x08, 0x04, 0x02, 0x01):  # pushed in the reverse order
        if flags & bit:
            if ops[m].opname == "BUILD_TUPLE" and bit == 0x08:
                m -= ops[m].arg + 1
            elif ops[m].opname == "LOAD_CONST":
                out[bit] = m
                m -= 1
            else:
                return {}
    return out


def plan_swap(old, new_src, path, ran_keys, live):
    """("swap", [(function, attribute, new value)]) or ("session", why not): how to run a
    mutant of a module already imported. `old` is import_level() of the module as imported,
    `ran_keys` the keys of code that ran before the fork, `live` the function objects by key.
    The attribute is __code__, __defaults__ or __annotations__ (see new_defaults)."""
    try:
        new_bodies, new_funcs = levels(new_src, path)
    except (SyntaxError, ValueError) as exc:
        return "session", f"does not compile here: {exc}"
    old_bodies, old_funcs = old
    if ([p for p, _ in old_bodies] != [p for p, _ in new_bodies]
            or [p for p, _ in old_funcs] != [p for p, _ in new_funcs]):
        return "session", "the mutant adds or removes a class or a module-level function"
    swaps = []
    for (_, a), (_, b) in zip(old_bodies, new_bodies):
        if semantics(a) != semantics(b):
            defaults = new_defaults(a, b)
            if defaults is None:
                return "session", f"the mutant changes code that runs at import ({a.co_qualname})"
            for code, attr, value in defaults:
                if key(code) in ran_keys:
                    return "session", f"{code.co_qualname} ran during import or collection"
                swaps.extend((f, attr, value) for f in live.get(key(code), ()))
    for (_, a), (_, b) in zip(old_funcs, new_funcs):
        if a == b:
            continue
        # A function that ran before the fork may have left results behind (closures,
        # caches, generators): those came from the old code, unless only code nested in it
        # changed, code that did not run (see nested_swaps).
        made = nested_swaps(a, b, ran_keys, live)
        if made is None:
            return "session", f"{a.co_qualname} ran during import or collection"
        if len(a.co_freevars) != len(b.co_freevars):
            return "session", f"{a.co_qualname} changes its closure"
        if not live.get(key(a)) and not same_behaviour(a, b):
            # Its module is imported, yet no function object of it is to be found: swapping
            # nothing would run the old code. A fresh session runs the mutant for sure.
            return "session", f"no live function object of {a.co_qualname} to swap"
        swaps.extend(made)
        swaps.extend((f, "__code__", b) for f in live.get(key(a), ()))
    return "swap", swaps


def nested_swaps(a, b, ran_keys, live):
    """The swaps that give the functions made by running `a` (a decorator's wrapper, a
    closure) the code a fresh import would give them; None when that cannot be done, because
    code that changes (other than in line numbers) ran before the fork. A function that ran
    at import and whose own instructions are the same made the same functions then, but from
    its old nested code: those, and the functions made from any code between it and the
    change, get their new code; a changed nested function must keep its name, closure,
    signature and docstring (set when it was made)."""
    if key(a) not in ran_keys:
        return []  # nothing was made from its code yet
    ta, tb = walk(a), walk(b)
    if [p for p, _ in ta] != [p for p, _ in tb]:
        return None
    out = []
    for (path, x), (_, y) in zip(ta, tb):
        if x == y:
            continue
        if semantics(x) != semantics(y):
            if key(x) in ran_keys:
                return None
            if path and (not x.co_flags & CO_OPTIMIZED or x.co_name != y.co_name
                         or len(x.co_freevars) != len(y.co_freevars)
                         or signature(x) != signature(y) or docstring(x) != docstring(y)):
                return None
        if path:
            out.extend((f, "__code__", y) for f in live.get(key(x), ()))
    return out


def changed_functions(old, new_src, path):
    """(qualname, first line, last line) of each function of the module as imported whose code
    the mutant changes other than in line numbers (nested code included); None when the shapes
    differ (see plan_swap)."""
    new_bodies, new_funcs = levels(new_src, path)
    old_funcs = old[1]
    if [p for p, _ in old_funcs] != [p for p, _ in new_funcs]:
        return None
    out = []
    for (_, a), (_, b) in zip(old_funcs, new_funcs):
        # A function the edit only moved (lines above it added or removed) does the same.
        if a != b and not same_behaviour(a, b):
            lines = [n for _, c in walk(a) for _, _, n in c.co_lines() if n is not None]
            out.append((a.co_qualname, min(lines, default=a.co_firstlineno), max(lines, default=a.co_firstlineno)))
    return out


def signature(code):
    """What inspect reads of a function's signature from its code: argument counts, names and
    flags (the defaults are the body's, see new_defaults)."""
    n = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
    return (code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_varnames[:n],
            code.co_flags & 0x0C)


def docstring(code):
    return code.co_consts[0] if code.co_consts and isinstance(code.co_consts[0], str) else None


def interface_changes(old, new_src, path):
    """(qualified name, "signature" or "docstring") of each function whose signature or
    docstring the mutant changes: what can be seen of a function without running it."""
    _, new_funcs = levels(new_src, path)
    out = []
    for (_, a), (_, b) in zip(old[1], new_funcs):
        if docstring(a) != docstring(b):
            out.append((a.co_qualname, "docstring"))
        elif signature(a) != signature(b):
            out.append((a.co_qualname, "signature"))
    return out


# --- statuses ---------------------------------------------------------------------------------

class Recorder:
    """pytest plugin: statuses as JUnit would give them; `first` tests run first, and the
    session stops when they all pass (forager_first's rule)."""

    def __init__(self, first=()):
        self.statuses, self.first, self.session = {}, First(first), None

    def put_first(self, nodeids, items, only=None):
        """`only`: the node ids to run at all (a superset of nodeids); the rest are deselected."""
        self.first = First(nodeids)
        self.first.order(self.session, items)
        if only is not None:
            keep = set(only)
            items[:] = [i for i in items if i.nodeid in keep]

    def pytest_collection_modifyitems(self, session, items):
        self.session = session
        if self.first.wanted:  # a fresh session; the collected one is reordered in its fork
            self.first.order(session, items)

    def note(self, nodeid, status):
        old = self.statuses.get(nodeid)
        if old is None or _RANK[status] > _RANK[old]:
            self.statuses[nodeid] = status

    def pytest_collectreport(self, report):
        # A module that fails to import is an error entry, as in pytest's JUnit XML.
        if report.failed:
            self.note(report.nodeid, "error")

    def pytest_runtest_logstart(self, nodeid, location):
        progress(nodeid)

    def pytest_runtest_logfinish(self, nodeid, location):
        progress("")

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.note(report.nodeid, "failed" if report.when == "call" else "error")
        else:
            self.note(report.nodeid, "skipped" if report.skipped else "passed")
        self.first.see(report)

    def answer(self, exit_code):
        return {"statuses": self.statuses, "exit": int(exit_code), "complete": not self.first.stopped}


# --- running something in a fork, with a deadline ---------------------------------------------

# In a child: the write end of the pipe on which it names each test as it starts ("" when it
# ends), so that the parent can hold each test to its own time limit.
PROGRESS_FD = None


def progress(nodeid):
    if PROGRESS_FD is not None:
        try:
            os.write(PROGRESS_FD, (nodeid + "\n").encode())
        except OSError:
            pass


def in_fork(body, timeout, test_limit=None):
    """Run body() -> dict in a child process (its own process group); its answer, or how it ended.
    `test_limit(nodeid)`: seconds one test may take (None: no limit of its own); a test that
    runs past it ends the run as a timeout at once ("hung_test" names it)."""
    rfd, wfd = os.pipe()
    pfd, pwfd = os.pipe() if test_limit is not None else (None, None)
    # Children write to the server's log: pytest's capture puts fds 1 and 2 back to copies it
    # saved at start-up, so the log is emptied here rather than reopened in the child.
    sys.stdout.flush()
    sys.stderr.flush()
    os.truncate(LOG, 0)
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        global PROGRESS_FD
        os.close(rfd)
        if pfd is not None:
            os.close(pfd)
        PROGRESS_FD = pwfd
        _child(wfd, body)
    os.close(wfd)
    if pwfd is not None:
        os.close(pwfd)
    data, timed_out, hung = _read_all(rfd, pid, t0 + timeout, pfd, test_limit)
    os.close(rfd)
    if pfd is not None:
        os.close(pfd)
    _, status = os.waitpid(pid, 0)
    answer = {"timed_out": timed_out, "seconds": time.monotonic() - t0, "tail": tail(LOG)}
    if hung is not None:
        answer["hung_test"] = hung
        answer["tail"] += f"\nforager: {hung} ran past its own time limit ({test_limit(hung):.1f} s)\n"
    try:
        answer.update(json.loads(data))
        answer["crashed"] = False
    except ValueError:
        answer.update(statuses={}, complete=False, crashed=not timed_out,
                      exit=os.waitstatus_to_exitcode(status))
    return answer


def _read_all(rfd, pid, deadline, pfd=None, test_limit=None):
    """(answer bytes, timed out, the test that ran past its own limit or None)."""
    chunks, fds = [], [rfd] if pfd is None else [rfd, pfd]
    current, test_deadline, partial = "", None, b""
    while True:
        now = time.monotonic()
        if test_deadline is not None and test_deadline <= now:
            _kill_group(pid)
            return b"", True, current
        left = deadline - now
        if left <= 0:
            _kill_group(pid)
            return b"", True, None
        wait = left if test_deadline is None else min(left, test_deadline - now)
        ready, _, _ = select.select(fds, [], [], wait)
        if pfd is not None and pfd in ready:
            chunk = os.read(pfd, 1 << 16)
            if not chunk:
                fds.remove(pfd)
            else:
                *lines, partial = (partial + chunk).split(b"\n")
                if lines:
                    current = lines[-1].decode("utf-8", "replace")
                    limit = test_limit(current) if current else None
                    test_deadline = None if limit is None else time.monotonic() + limit
        if rfd in ready:
            chunk = os.read(rfd, 1 << 16)
            if not chunk:
                _kill_group(pid)  # whatever the tests left running
                return b"".join(chunks), False, None
            chunks.append(chunk)


def close_private_fds():
    for fd in PRIVATE_FDS:
        try:
            os.close(fd)
        except OSError:
            pass
    PRIVATE_FDS.clear()  # the numbers may be reused by the next pipe


def _kill_group(pid):
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _child(wfd, body):
    code, report = 1, 2
    try:
        os.setsid()
        close_private_fds()
        report = os.dup(2)  # fds 1 and 2 are pytest's to capture while tests run
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        data = json.dumps(body()).encode()
        while data:
            data = data[os.write(wfd, data):]
        code = 0
    except BaseException:  # noqa: BLE001 - the parent reports a child without an answer
        import traceback
        os.write(report, traceback.format_exc().encode())
    finally:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()  # os._exit skips it, and the log's tail helps explain a run
            except (OSError, ValueError, AttributeError):
                pass
        os._exit(code)


# --- the two kinds of run ---------------------------------------------------------------------

class ZygoteGone(Exception):
    pass


class Zygote:
    """A process with pytest imported and nothing else; each request forks a fresh session."""

    def __init__(self, args):
        req_r, self._req_w = os.pipe()
        self._rep_r, rep_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            sys.settrace(None)
            threading.settrace(None)
            close_private_fds()
            os.close(self._req_w)
            os.close(self._rep_r)
            self._serve(list(args), os.fdopen(req_r, "r"), os.fdopen(rep_w, "w"))
            os._exit(0)
        os.close(req_r)
        os.close(rep_w)
        self._replies = os.fdopen(self._rep_r, "r")

    @staticmethod
    def _serve(args, requests, replies):
        import pytest

        for line in requests:
            req = json.loads(line)

            def session():
                recorder = Recorder(req["first"])  # noqa: B023 - called at once, in this iteration
                return recorder.answer(pytest.main(list(args), plugins=[recorder]))

            limits = HangLimits(req.get("durations"))
            replies.write(json.dumps(in_fork(session, req["timeout"], limits.of if limits else None)) + "\n")
            replies.flush()

    def run(self, first, timeout, durations=None):
        req = {"first": first, "timeout": timeout, "durations": durations}
        os.write(self._req_w, (json.dumps(req) + "\n").encode())
        ready, _, _ = select.select([self._replies], [], [], timeout + 30)
        line = self._replies.readline() if ready else ""
        if not line:
            os.kill(self.pid, signal.SIGKILL)
            raise ZygoteGone("the fresh-session process did not answer")
        return json.loads(line)


class HangLimits:
    """Each test's own time limit in a mutant's run, from its time in the coverage run."""

    def __init__(self, durations):
        self.durations = durations or {}
        self.slack = HANG_SLACK + max(self.durations.values(), default=0.0)

    def __bool__(self):
        return bool(self.durations)

    def of(self, nodeid):
        d = self.durations.get(nodeid)
        return None if d is None else HANG_FACTOR * d + self.slack


def heap():
    """Every object the collector tracks, those frozen into its permanent generation too (a
    suite may gc.freeze() after collecting, as packaging's conftest does: get_objects() does not
    list them). The frozen stay frozen."""
    frozen = gc.get_freeze_count() if hasattr(gc, "get_freeze_count") else 0
    if frozen:
        gc.unfreeze()
    try:
        return gc.get_objects()
    finally:
        if frozen:
            gc.freeze()


class Collected:
    """The suite configured and collected once; runs fork it and swap in the mutant's code."""

    def __init__(self, args, ran):
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        self.recorder = Recorder()
        self.config = _prepareconfig(list(args), plugins=[self.recorder])
        self.config._do_configure()
        self.session = Session.from_config(self.config)
        self.config.hook.pytest_sessionstart(session=self.session)
        self.config.hook.pytest_collection(session=self.session)
        ran.stop()
        self.ran_keys = {key(c) for c in ran.codes}
        self.recorder.session = self.session
        self._functions = None
        self._compiled = {}
        self._groups = None
        # The server imports nothing of the repository after this: one look at sys.modules.
        self.module_files = {os.path.realpath(f) for f in map(module_file, list(sys.modules.values())) if f}

    def functions(self):
        """Live function objects by the key of their code (one heap scan, then cached)."""
        if self._functions is None:
            self._functions = {}
            for obj in heap():
                if isinstance(obj, types.FunctionType) and obj.__code__.co_filename.startswith(ROOT):
                    self._functions.setdefault(key(obj.__code__), []).append(obj)
                elif isinstance(obj, (types.GeneratorType, types.CoroutineType)):
                    frame = getattr(obj, "gi_frame", None) or getattr(obj, "cr_frame", None)
                    if frame is not None and frame.f_code.co_filename.startswith(ROOT):
                        self.ran_keys.add(key(frame.f_code))  # suspended old code: cannot swap
        return self._functions

    def compiled(self, path, src):
        """import_level() of a file as it is in the tree (the same for every mutant of it)."""
        if path not in self._compiled or self._compiled[path][0] != src:
            self._compiled[path] = (src, import_level(compile(src, path, "exec", dont_inherit=True)))
        return self._compiled[path][1]

    def plan(self, path, old_src, new_src):
        """("swap", [(function, new code)]), ("import", []) or ("session", why not a swap)."""
        if os.path.realpath(path) not in self.module_files:
            return "import", []
        try:
            old = self.compiled(path, old_src)
        except (SyntaxError, ValueError) as exc:
            return "session", f"does not compile here: {exc}"
        return plan_swap(old, new_src, path, self.ran_keys, self.functions())

    def groups(self):
        """node id -> the fixtures it uses that outlive one test and run the repository's code
        (defined under ROOT, or xunit/unittest class and module set-ups): their value is made
        once, in whichever of their tests runs first, and shared by all of them."""
        if self._groups is None:
            self._groups = {}
            for item in self.session.items:
                info = getattr(item, "_fixtureinfo", None)
                keys = set()
                for name in getattr(info, "names_closure", ()) if info is not None else ():
                    defs = info.name2fixturedefs.get(name) or ()
                    if defs and shared_fixture(defs[-1]):
                        keys.add(id(defs[-1]))
                self._groups[item.nodeid] = keys
        return self._groups

    def covering_set(self, covering):
        """The covering tests and every test sharing a long-lived fixture of the repository
        with one of them, transitively; None if a covering test is not collected here."""
        groups = self.groups()
        if any(t not in groups for t in covering):
            return None
        chosen, keys = set(covering), set()
        while True:
            new_keys = set().union(*(groups[t] for t in chosen)) - keys
            if not new_keys:
                return chosen
            keys |= new_keys
            chosen |= {t for t, ks in groups.items() if ks & keys}

    def run(self, swaps, first, timeout, only=None, test_limit=None):
        def body():
            for fn, attr, value in swaps:
                setattr(fn, attr, value)
            linecache.clearcache()
            import importlib
            importlib.invalidate_caches()
            self.recorder.put_first(first, self.session.items, only)
            return self.recorder.answer(run_loop(self.config, self.session))

        return in_fork(body, timeout, test_limit)


def shared_fixture(fixturedef):
    scope = getattr(fixturedef, "scope", "function")
    if scope == "function":
        return False
    name = getattr(fixturedef, "argname", "") or ""
    if name.startswith(("_xunit_setup", "_unittest_setUpClass", "_unittest_setUp")):
        return True
    code = getattr(getattr(fixturedef, "func", None), "__code__", None)
    return code is not None and code.co_filename.startswith(ROOT)


def run_loop(config, session):
    """pytest's run phase and session finish, handled as its own wrap_session does."""
    import _pytest._code
    from _pytest.main import ExitCode
    from _pytest.outcomes import exit as pytest_exit

    status = ExitCode.OK
    try:
        config.hook.pytest_runtestloop(session=session)
        if session.testsfailed:
            status = ExitCode.TESTS_FAILED
    except session.Failed:
        status = ExitCode.TESTS_FAILED
    except (KeyboardInterrupt, pytest_exit.Exception):  # our early stop is an Interrupted
        excinfo = _pytest._code.ExceptionInfo.from_current()
        status = ExitCode.INTERRUPTED
        if isinstance(excinfo.value, pytest_exit.Exception) and excinfo.value.returncode is not None:
            status = excinfo.value.returncode
        config.hook.pytest_keyboard_interrupt(excinfo=excinfo)
    except BaseException:  # noqa: BLE001 - as pytest does: an internal error, reported
        status = ExitCode.INTERNAL_ERROR
        config.notify_exception(_pytest._code.ExceptionInfo.from_current(), config.option)
    session.exitstatus = status
    os.chdir(session.startpath)
    config.hook.pytest_sessionfinish(session=session, exitstatus=status)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter._tw.flush()
    return status


# --- the server -------------------------------------------------------------------------------

class Server:
    def __init__(self, args):
        t0 = time.monotonic()
        ran = Ran()
        ran.start()
        import pytest  # noqa: F401 - under the trace hook, like everything before the fork
        untraced_rewrite()
        t1 = time.monotonic()

        # Tracebacks as one line each: failing tests are the rule here, and pytest's long
        # report (source lookup per frame) costs more than many a test; outcomes are the same.
        args = [*args, "--tb=line"]
        # The zygote must hold nothing of the repository (true unless pytest itself needs it).
        self.zygote = None if any(imported_from_root(m) for m in list(sys.modules.values())) else Zygote(args)
        t2 = time.monotonic()
        self.collected = Collected(args, ran)
        self.stable, self.confirmed = set(), set()
        self.durations = {}  # test id -> seconds in the coverage run, for per-test limits
        self.limits = HangLimits(None)
        self.timing = {"import": t1 - t0, "zygote": t2 - t1, "collect": time.monotonic() - t2}

    def confirm(self, answer, only):
        """After a mutant's run: the baseline-passing tests it did not pass (a test that should
        have run and did not counts) run once more, unchanged, unless an earlier run did so.
        Adds "confirmed" (they pass unchanged) and "unconfirmed" (they do not) to the answer."""
        if answer.get("timed_out") or answer.get("crashed") or not answer.get("complete", True):
            return
        statuses = answer.get("statuses") or {}
        if not statuses:
            return
        expected = set(only) if only is not None else {i.nodeid for i in self.collected.session.items}
        todo = sorted(t for t in (expected & self.stable) - self.confirmed if statuses.get(t) != "passed")
        if not todo:
            return
        try:
            again = self.collected.run([], [], 300, set(todo))
        finally:
            clean_tree()
        good = [t for t in todo if (again.get("statuses") or {}).get(t) == "passed"]
        self.confirmed.update(good)
        answer["confirmed"], answer["unconfirmed"] = good, sorted(set(todo) - set(good))

    def run(self, req):
        tm, t0 = {}, time.monotonic()
        path = os.path.join(ROOT, req["file"]) if req.get("file") else None
        first, timeout = req.get("first") or [], float(req.get("timeout", 300))
        old_src, mode, plan, only, why_full = None, "import", [], None, None
        if path and req.get("source") is not None:
            with open(path, "rb") as fh:
                old_src = fh.read()
            new_src = req["source"].encode()
            mode, plan = self.collected.plan(path, old_src, new_src)
            tm["plan"] = time.monotonic() - t0
            if mode == "session" and self.zygote is None:
                return {"mode": "unsupported", "reason": plan}
            if req.get("function"):
                only, why_full = self.covering_only(path, old_src, new_src, mode, req, first, plan)
            tm["covering"] = time.monotonic() - t0
            with open(path, "wb") as fh:
                fh.write(new_src)
        elif req.get("only_ids") is not None:
            only = set(req["only_ids"])  # some tests of the unchanged tree
        try:
            # A mutant's tests are each held to their own limit; the unchanged tree is not.
            limit = self.limits.of if self.limits and old_src is not None else None
            if mode == "session":
                answer = dict(self.zygote.run(first, timeout, self.durations if limit else None), reason=plan)
            else:
                if only is not None and req.get("only_timeout") and only == set(first):
                    timeout = min(timeout, float(req["only_timeout"]))  # their own limit
                answer = self.collected.run(plan, first, timeout, only, limit)
                answer["only"] = None if only is None else sorted(only)
                answer["why_full"] = why_full
        except ZygoteGone as exc:
            self.zygote, answer = None, {"mode": "unsupported", "reason": str(exc)}
        finally:
            tm["ran"] = time.monotonic() - t0
            if old_src is not None:
                with open(path, "wb") as fh:
                    fh.write(old_src)
            clean_tree()
            tm["clean"] = time.monotonic() - t0
        answer.setdefault("mode", mode)
        # A fresh session judges as the baseline's fresh runs did: only a fork needs its
        # failures confirmed (see confirm).
        if req.get("confirm") and answer["mode"] not in ("unsupported", "session"):
            self.confirm(answer, only)
        tm["confirm"] = time.monotonic() - t0
        answer["timing"] = {k: round(v, 3) for k, v in tm.items()}
        return answer


    def covering_only(self, path, old_src, new_src, mode, req, first, plan=()):
        """(tests to run, None) when the covering tests and those sharing their long-lived
        fixtures are the only ones whose code the mutant changes; else (None, why not)."""
        if mode != "swap":
            return None, "not a swap of function bodies" if mode == "import" else "a fresh session"
        if req.get("signature_readers") is None and any(attr != "__code__" for _, attr, _ in plan):
            return None, "the mutant changes defaults, part of a signature (readers not recorded)"
        try:
            changed = changed_functions(self.collected.compiled(path, old_src), new_src, path)
        except (SyntaxError, ValueError) as exc:
            return None, f"does not compile here: {exc}"
        start, end = req.get("span") or (0, 0)
        # A changed default leaves the function's code as it is: it counts as a change of it.
        defaults = [(fn.__qualname__, start, start) for fn, attr, _ in plan if attr != "__code__"]
        for name, _lo, hi in (changed + defaults if changed is not None else None) or [("?", 0, 0)]:
            # Only the function whose lines gave the covering tests may change.
            if name != req["function"] or not start <= hi <= end:
                return None, f"the mutant changes {name}, not only {req['function']}"
        readers = req.get("signature_readers")
        seen = interface_changes(self.collected.compiled(path, old_src), new_src, path)
        seen += [(name, "signature") for name, _, _ in defaults[:1]]
        for name, what in seen:
            # A test may read a signature or a docstring (inspect, curry, doc checks) without
            # running the function: coverage cannot see it. Reads of a signature go through the
            # code object, which the coverage run recorded per test (forager_cov): those tests
            # run too. Docstrings are read unseen: the whole suite runs.
            if what == "docstring" or readers is None:
                return None, f"the mutant changes the {what} of {name}" + (
                    "" if what == "docstring" else " (read at import or collection, or not recorded)")
        chosen = self.collected.covering_set(sorted(set(first) | set(readers if seen else ())))
        if chosen is None:
            return None, "a covering test is not in the collected session"
        return chosen, None


def untraced_rewrite():
    """pytest's assertion rewriting (parse a test module, rewrite its asserts, compile) runs no
    code of the repository: it runs with the trace hook off, which takes about a third off
    the start of the server (toolz)."""
    try:
        from _pytest.assertion import rewrite
    except ImportError:
        return
    original = getattr(rewrite, "_rewrite_test", None)
    if original is None:
        return

    def _rewrite_test(*args, **kwargs):
        hook = sys.gettrace()
        sys.settrace(None)
        try:
            return original(*args, **kwargs)
        finally:
            sys.settrace(hook)

    rewrite._rewrite_test = _rewrite_test


def module_file(mod):
    f = getattr(mod, "__file__", None)
    return f if isinstance(f, str) else None


def imported_from_root(mod):
    f = module_file(mod)
    return bool(f) and os.path.realpath(f).startswith(ROOT + "/")


def clean_tree():
    """Back to the committed tree: the tests may have left or changed files."""
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                           capture_output=True, text=True).stdout
    if dirty.strip():
        subprocess.run("git checkout -q -- . && git clean -fdq", shell=True, cwd=ROOT)


def tail(path, n=4000):
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - n))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def main():
    # Answers go to a private copy of stdout; whatever pytest or the tests print goes to a log.
    proto = os.fdopen(os.dup(1), "w")
    requests = os.fdopen(os.dup(0), "r")  # pytest swaps sys.stdin for a reader that refuses
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    PRIVATE_FDS.extend([proto.fileno(), requests.fileno()])
    log = os.open(LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.chdir(ROOT)
    try:
        server = Server(sys.argv[1:])
        failed = server.collected.session.testsfailed
        hello = {"ok": not failed, "collected": len(server.collected.session.items),
                 "zygote": server.zygote is not None,
                 "error": f"{failed} collection errors" if failed else None, "timing": server.timing}
    except BaseException as exc:  # noqa: BLE001 - reported to the caller, who falls back
        server, hello = None, {"ok": False, "error": f"{type(exc).__name__}: {exc}", "tail": tail(LOG)}
    proto.write(json.dumps(hello) + "\n")
    proto.flush()
    if server is None:
        return
    for line in requests:
        req = json.loads(line)
        if req.get("op") == "stable":
            server.stable = set(req["tests"])
            server.durations = req.get("durations") or {}
            server.limits = HangLimits(server.durations)
            answer = {"ok": True}
        else:
            answer = {"ok": True} if req.get("op") == "ping" else server.run(req)
        proto.write(json.dumps(answer) + "\n")
        proto.flush()


if __name__ == "__main__":
    main()
