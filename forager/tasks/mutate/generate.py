"""Generate the mutants of one module: every operator over every chosen function."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo, find_functions
from forager.tasks.mutate.mutant import Mutant
from forager.tasks.mutate.operators import ALL, Operator
from forager.tasks.mutate.render import FunctionRenderer, fingerprint

OPERATORS: dict[str, Operator] = {op.name: op for op in ALL}


def derived_rng(*parts: object) -> random.Random:
    """A generator seeded from the parts, stable across runs and Python versions
    (unlike hash(), which is salted per process)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def generate_mutants(
    source: str,
    file: str,
    functions: Iterable[str] | None,
    seed: int,
    per_function: int | None = None,
    operators: Iterable[str] | None = None,
) -> list[Mutant]:
    """Mutants of `source` (the text of `file`), deterministic for a given seed.

    `functions` are qualified names ("func", "Class.method"); None means every function.
    Names that are not targets (nested functions, missing ones) are skipped. Mutants that do
    not compile, equal the original up to formatting, or duplicate an earlier mutant are
    dropped. With `per_function`, at most that many are kept per function, spread over the
    operators. The result is ordered by function position, then operator name.
    """
    names = sorted(set(operators)) if operators is not None else sorted(OPERATORS)
    unknown = [n for n in names if n not in OPERATORS]
    if unknown:
        raise ValueError(f"unknown mutation operators: {', '.join(unknown)}")
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise ValueError(f"{file}: libcst cannot parse it: {exc}") from exc
    original = fingerprint(source, file)
    if original is None:
        raise ValueError(f"{file}: does not compile with this Python")
    wanted = set(functions) if functions is not None else None
    seen = {original}
    mutants: list[Mutant] = []
    for target in find_functions(module, source):
        if wanted is None or target.qualname in wanted:
            mutants += _for_function(module, source, target, file, seed, names, per_function, seen)
    return mutants


def _for_function(
    module: cst.Module,
    source: str,
    target: FunctionInfo,
    file: str,
    seed: int,
    names: list[str],
    per_function: int | None,
    seen: set[str],
) -> list[Mutant]:
    rng = derived_rng(seed, file, target.qualname)
    renderer = FunctionRenderer(module, source, target, file)
    if renderer.original_key is not None:
        seen.add(renderer.original_key)  # the no-op baseline for function-only fingerprints
    kept: list[tuple[str, int, Mutant]] = []
    for name, index, candidate, description in _interleaved(module, target, file, seed, names, rng):
        if per_function is not None and len(kept) >= per_function:
            break
        code, key = renderer.render(candidate)
        if key is None or key in seen:
            continue
        seen.add(key)
        mutant = Mutant(name, file, target.qualname, target.start_line, target.end_line, description, source, code)
        kept.append((name, index, mutant))
    return [mutant for _, _, mutant in sorted(kept, key=lambda item: item[:2])]


def _interleaved(
    module: cst.Module, target: FunctionInfo, file: str, seed: int, names: list[str], rng: random.Random
) -> Iterator[tuple[str, int, cst.Module, str]]:
    """Candidates taken round-robin over the operators in a seeded order, each operator's in a
    seeded order too, so that a per-function cap keeps a varied sample. An operator runs only
    when the round-robin first reaches it, so a small cap skips most of the work."""
    order = list(names)
    rng.shuffle(order)
    queues: dict[str, list[tuple[int, tuple[cst.Module, str]]]] = {}
    depth = 0
    while True:
        produced = False
        for name in order:
            if name not in queues:
                queues[name] = _candidates(module, target, file, seed, name)
            if depth < len(queues[name]):
                produced = True
                index, (candidate, description) = queues[name][depth]
                yield name, index, candidate, description
        if not produced:
            return
        depth += 1


def _candidates(
    module: cst.Module, target: FunctionInfo, file: str, seed: int, name: str
) -> list[tuple[int, tuple[cst.Module, str]]]:
    """One operator's candidates, numbered in its own order, then shuffled."""
    rng = derived_rng(seed, file, target.qualname, name)
    try:
        candidates = list(enumerate(OPERATORS[name].mutate(module, target, rng)))
    except cst.CSTValidationError:
        # An edit libcst will not build (unusual code): skip this operator here rather
        # than lose the whole file.
        return []
    rng.shuffle(candidates)
    return candidates


class ModuleMutants:
    """One module parsed once; the mutants of any of its functions on demand.

    For callers that reach functions one at a time (candidate generation in a seeded order):
    only the functions asked for cost anything."""

    def __init__(self, source: str, file: str) -> None:
        try:
            self.module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            raise ValueError(f"{file}: libcst cannot parse it: {exc}") from exc
        original = fingerprint(source, file)
        if original is None:
            raise ValueError(f"{file}: does not compile with this Python")
        self.source, self.file, self.original = source, file, original
        self.functions = find_functions(self.module, source)

    def target(self, qualname: str, start_line: int) -> FunctionInfo | None:
        return next((f for f in self.functions if f.qualname == qualname and f.start_line == start_line), None)

    def for_function(self, target: FunctionInfo, seed: int, operators: Iterable[str] | None = None) -> list[Mutant]:
        """Every mutant of one function, in the order of iter_function."""
        return list(self.iter_function(target, seed, operators))

    def iter_function(self, target: FunctionInfo, seed: int, operators: Iterable[str] | None = None) -> Iterator[Mutant]:
        """The mutants of one function, lazily, in the seeded order that takes the operators in
        turn (the first few are from different operators), deduplicated, each compiling. An
        operator runs only when the order first reaches it."""
        names = sorted(set(operators)) if operators is not None else sorted(OPERATORS)
        rng = derived_rng(seed, self.file, target.qualname)
        renderer = FunctionRenderer(self.module, self.source, target, self.file)
        seen = {self.original}
        if renderer.original_key is not None:
            seen.add(renderer.original_key)
        for name, _, candidate, description in _interleaved(self.module, target, self.file, seed, names, rng):
            code, key = renderer.render(candidate)
            if key is None or key in seen:
                continue
            seen.add(key)
            yield Mutant(name, self.file, target.qualname, target.start_line, target.end_line, description,
                         self.source, code)
