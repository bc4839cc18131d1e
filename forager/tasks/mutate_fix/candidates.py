"""From an image's source and coverage map to a lazy, seeded stream of mutants worth validating.

Generation costs in proportion to what is asked. The covered functions are listed with `ast`
(fast, no libcst), put in a seeded order, and mutated only when the stream reaches them: a
first pass takes the first FIRST_PASS mutants of each function (from different operators,
see ModuleMutants.for_function), a second pass the rest. A run that keeps 20 tasks reaches a
few dozen functions, not the whole repository. Every function's mutants, the list of targets
and the sources read from the image are cached by the image's content hash, so a later run on
the same image reads them from disk.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from forager import paths
from forager.containers import Sandbox
from forager.jsonio import write_atomic
from forager.records.manifest import Manifest
from forager.tasks.coverage_map import CoverageMap
from forager.tasks.mutate import OPERATORS, Mutant
from forager.tasks.mutate.generate import ModuleMutants, derived_rng
from forager.testsuite.testfiles import is_test_path

FIRST_PASS = 2  # mutants per function before any function gets more
CACHE_VERSION = 1


@dataclass(frozen=True)
class MutantCandidate:
    mutant: Mutant
    covering: tuple[str, ...]  # stable-passing tests that run the mutated function
    covering_seconds: float | None = None  # their time in the coverage run, if known
    # Stable-passing tests that read the function's signature (its code object) in the coverage
    # run; None when unknown, or when it was read at import or collection.
    signature_readers: tuple[str, ...] | None = None

    @property
    def key(self) -> str:
        m = self.mutant
        h = hashlib.sha256(f"{m.file}\0{m.function}\0{m.operator}\0{m.mutated}".encode()).hexdigest()
        return h[:12]


@dataclass(frozen=True)
class Target:
    """A function that can be mutated: qualified name, `def` line, last line of its body."""

    file: str
    qualname: str
    start_line: int
    end_line: int


def function_spans(source: str) -> list[Target]:
    """Module-level functions and methods (classes at any depth outside functions), as
    forager.tasks.mutate.functions.find_functions finds them, from the standard parser."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    out: list[Target] = []

    def visit(body: list[ast.stmt], classes: list[str]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append(Target("", ".".join([*classes, node.name]), node.lineno, node.end_lineno or node.lineno))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, [*classes, node.name])
            else:
                for name in ("body", "orelse", "finalbody"):
                    inner = getattr(node, name, None)
                    if isinstance(inner, list):
                        visit(inner, classes)
                for handler in getattr(node, "handlers", None) or ():
                    visit(handler.body, classes)
                for case in getattr(node, "cases", None) or ():
                    visit(case.body, classes)

    visit(tree.body, [])
    return out


def _digest(*parts: object) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:20]


class CandidateStream:
    """Candidates in a deterministic order for the seed, generated as they are reached.
    `generated` counts, per operator, the mutants generated so far (deduplicated, compiling)."""

    def __init__(self, box: Sandbox | None, m: Manifest, cmap: CoverageMap, seed: int,
                 operators: list[str] | None = None, cache_dir: Path | None = None):
        self.box, self.m, self.cmap, self.seed = box, m, cmap, seed
        self.operators = sorted(set(operators)) if operators is not None else None
        self.dir = cache_dir or paths.cache("mutants") / f"{m.id}-{m.content_hash[:16]}"
        self.generated: Counter = Counter()
        self._sources: dict[str, str | None] = {}
        self._modules: dict[str, ModuleMutants | None] = {}
        self._lists: dict[Target, tuple[list[Mutant], Iterator[Mutant] | None]] = {}
        self._stable = stable_pass = set(m.passing())
        self.order: list[tuple[Target, tuple[str, ...]]] = []
        for t in self._targets():
            tests = cmap.tests_for(t.file, t.start_line, t.end_line) & stable_pass
            if tests:
                self.order.append((t, tuple(sorted(tests))))
        derived_rng(seed, m.id, "functions").shuffle(self.order)

    # --- sources and targets, cached by the image's content hash -------------------------------

    def source(self, file: str) -> str | None:
        if file not in self._sources:
            path = self.dir / "src" / _digest(file)
            if path.exists():
                self._sources[file] = path.read_text(encoding="utf-8")
            else:
                raw = self.box.read_file(f"/testbed/{file}") if self.box is not None else None
                text = None if raw is None else raw.decode("utf-8", errors="replace")
                if text is not None:
                    write_atomic(path, text)
                self._sources[file] = text
        return self._sources[file]

    def _prefetch(self, files: list[str]) -> None:
        """Read from the image, in one go, the sources not cached yet."""
        todo = [f for f in files if f not in self._sources and not (self.dir / "src" / _digest(f)).exists()]
        if not todo or self.box is None:
            return
        found = self.box.read_files([f"/testbed/{f}" for f in todo])
        for file in todo:
            raw = found.get(f"/testbed/{file}")
            if raw is not None:
                text = raw.decode("utf-8", errors="replace")
                write_atomic(self.dir / "src" / _digest(file), text)
                self._sources[file] = text

    def _targets(self) -> list[Target]:
        path = self.dir / f"targets-v{CACHE_VERSION}.json"
        if path.exists():
            return [Target(**t) for t in json.loads(path.read_text())]
        out = []
        files = [f for f in sorted(self.cmap.files) if f.endswith(".py") and not is_test_path(f)]
        self._prefetch(files)
        for file in files:
            text = self.source(file)
            if text is not None:
                out += [Target(file, t.qualname, t.start_line, t.end_line) for t in function_spans(text)]
        write_atomic(path, json.dumps([t.__dict__ for t in out]))
        return out

    # --- one function's mutants ----------------------------------------------------------------

    def _module(self, file: str) -> ModuleMutants | None:
        if file not in self._modules:
            text = self.source(file)
            try:
                self._modules[file] = None if text is None else ModuleMutants(text, file)
            except ValueError:
                self._modules[file] = None  # a module libcst or this Python cannot parse
        return self._modules[file]

    def mutants(self, t: Target, upto: int | None = None) -> list[Mutant]:
        """The function's first `upto` mutants (all with None), generated only as far as asked
        and cached; a later call for more resumes where the last stopped."""
        got, it = self._lists.get(t, ([], None))
        if t not in self._lists:
            got, done = self._load(t)
            self.generated.update(mu.operator for mu in got)
            it = None if done else iter(())  # resumed below, by generating afresh and skipping
            self._lists[t] = (got, it)
        want = upto if upto is not None else float("inf")
        if len(got) < want and it is not None:
            if not isinstance(it, _Resumable):
                it = _Resumable(self._generator(t), skip=len(got))
            before = len(got)
            while len(got) < want:
                mu = next(it, None)
                if mu is None:
                    it = None
                    break
                got.append(mu)
            self.generated.update(mu.operator for mu in got[before:])
            self._lists[t] = (got, it)
            self._store(t, got, it is None)
        return got[:upto] if upto is not None else got

    def _generator(self, t: Target) -> Iterator[Mutant]:
        mod = self._module(t.file)
        target = mod.target(t.qualname, t.start_line) if mod is not None else None
        return mod.iter_function(target, self.seed, self.operators) if target is not None else iter(())

    def _path(self, t: Target) -> Path:
        ops = ",".join(self.operators) if self.operators is not None else "all"
        return self.dir / f"s{self.seed}-v{CACHE_VERSION}-{_digest(ops)}" / f"{_digest(t.file, t.qualname, t.start_line)}.json"

    def _load(self, t: Target) -> tuple[list[Mutant], bool]:
        path, original = self._path(t), self.source(t.file)
        if not path.exists() or original is None:
            return [], False
        data = json.loads(path.read_text())
        return [_unpack(d, t, original) for d in data["mutants"]], data["complete"]

    def _store(self, t: Target, got: list[Mutant], complete: bool) -> None:
        write_atomic(self._path(t), json.dumps({"complete": complete, "mutants": [_pack(mu) for mu in got]}))

    def _candidate(self, t: Target, covering: tuple[str, ...], mu: Mutant) -> MutantCandidate:
        readers = self.cmap.signature_readers(t.file, t.qualname)
        return MutantCandidate(mu, covering, self.cmap.seconds(covering),
                               None if readers is None else tuple(sorted(readers & self._stable)))

    def __iter__(self) -> Iterator[MutantCandidate]:
        for t, covering in self.order:
            yield from (self._candidate(t, covering, mu) for mu in self.mutants(t, FIRST_PASS))
        for t, covering in self.order:
            yield from (self._candidate(t, covering, mu) for mu in self.mutants(t)[FIRST_PASS:])

    def take(self, n: int) -> list[MutantCandidate]:
        out = []
        for c in self:
            if len(out) >= n:
                break
            out.append(c)
        return out


class _Resumable:
    """A generator's items after the first `skip` (those are already at hand, from the cache)."""

    def __init__(self, it: Iterator[Mutant], skip: int):
        self.it, self.skip = it, skip

    def __iter__(self) -> Iterator[Mutant]:
        return self

    def __next__(self) -> Mutant:
        while self.skip:
            self.skip -= 1
            next(self.it)
        return next(self.it)


def _pack(mu: Mutant) -> dict:
    """The mutant against its original: common prefix and suffix lengths and what differs."""
    a, b = mu.original, mu.mutated
    p = 0
    limit = min(len(a), len(b))
    while p < limit and a[p] == b[p]:
        p += 1
    s = 0
    while s < limit - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    return {"operator": mu.operator, "function": mu.function, "start": mu.start_line, "end": mu.end_line,
            "description": mu.description, "prefix": p, "suffix": s, "middle": b[p:len(b) - s]}


def _unpack(d: dict, t: Target, original: str) -> Mutant:
    mutated = original[:d["prefix"]] + d["middle"] + original[len(original) - d["suffix"]:]
    return Mutant(d["operator"], t.file, d["function"], d["start"], d["end"], d["description"], original, mutated)


def candidates(box: Sandbox, m: Manifest, cmap: CoverageMap, seed: int,
               operators: list[str] | None = None) -> CandidateStream:
    """The seeded, lazily generated stream of candidates for an image."""
    unknown = [o for o in operators or () if o not in OPERATORS]
    if unknown:
        raise ValueError(f"unknown mutation operators: {', '.join(unknown)}")
    return CandidateStream(box, m, cmap, seed, operators)
