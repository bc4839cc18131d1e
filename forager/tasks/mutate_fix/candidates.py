"""From an image's source and coverage map to an ordered list of mutants worth validating."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

import libcst as cst

from forager.containers import Sandbox
from forager.records.manifest import Manifest
from forager.tasks.coverage_map import CoverageMap
from forager.tasks.mutate import Mutant, generate_mutants
from forager.tasks.mutate.functions import find_functions
from forager.tasks.mutate.generate import derived_rng
from forager.testsuite.testfiles import is_test_path


@dataclass(frozen=True)
class MutantCandidate:
    mutant: Mutant
    covering: tuple[str, ...]  # stable-passing tests that run the mutated function

    @property
    def key(self) -> str:
        m = self.mutant
        h = hashlib.sha256(f"{m.file}\0{m.function}\0{m.operator}\0{m.mutated}".encode()).hexdigest()
        return h[:12]


def _covered_functions(source: str, file: str, cmap: CoverageMap, stable_pass: set[str]) -> dict[str, set[str]]:
    """qualname -> stable-passing tests that execute some line of it."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return {}
    out = {}
    for fn in find_functions(module):
        tests = cmap.tests_for(file, fn.start_line, fn.end_line) & stable_pass
        if tests:
            out[fn.qualname] = tests
    return out


def _round_robin(by_operator: dict[str, list[MutantCandidate]]) -> list[MutantCandidate]:
    """One of each operator in turn, so any cap on the total keeps a varied mix."""
    queues = [by_operator[k] for k in sorted(by_operator)]
    out = []
    for depth in range(max((len(q) for q in queues), default=0)):
        out.extend(q[depth] for q in queues if depth < len(q))
    return out


def candidates(box: Sandbox, m: Manifest, cmap: CoverageMap, seed: int,
               operators: list[str] | None = None) -> tuple[list[MutantCandidate], dict[str, int]]:
    """Ordered candidates (deterministic for the seed) and the number generated per operator."""
    stable_pass = set(m.passing())
    by_operator: dict[str, list[MutantCandidate]] = defaultdict(list)
    for file in sorted(cmap.files):
        if not file.endswith(".py") or is_test_path(file):
            continue
        raw = box.read_file(f"/testbed/{file}")
        if raw is None:
            continue
        source = raw.decode("utf-8", errors="replace")
        covered = _covered_functions(source, file, cmap, stable_pass)
        if not covered:
            continue
        try:
            mutants = generate_mutants(source, file, covered, seed, operators=operators)
        except ValueError:
            continue  # a module libcst or this Python cannot parse: nothing to seed here
        for mu in mutants:
            by_operator[mu.operator].append(MutantCandidate(mu, tuple(sorted(covered[mu.function]))))
    for name, queue in by_operator.items():
        derived_rng(seed, m.id, name).shuffle(queue)
    generated = {k: len(v) for k, v in by_operator.items()}
    return _round_robin(by_operator), generated
