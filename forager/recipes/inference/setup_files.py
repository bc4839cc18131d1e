"""setup.cfg (declarative setuptools) and setup.py, the latter read as a syntax tree: never run."""

from __future__ import annotations

import ast

from forager.recipes.inference.evidence import Evidence, Fact
from forager.recipes.inference.pyproject import SCM_BUILDERS
from forager.recipes.inference.pytest_ini import parse_ini, read_ini


def read_setup_cfg(text: str, path: str = "setup.cfg") -> Evidence:
    parser = parse_ini(text)
    if parser is None:
        return Evidence()
    ev = read_ini(text, path)
    if parser.has_section("options"):
        opts = parser["options"]
        if opts.get("python_requires"):
            ev.requires_python = Fact(value=opts["python_requires"].strip(), origin=f"{path} [options] python_requires")
        ev.dependencies = [Fact(value=r, origin=f"{path} [options] install_requires")
                           for r in _requirement_lines(opts.get("install_requires", ""))]
        setup_requires = _requirement_lines(opts.get("setup_requires", ""))
        scm = next((r for r in setup_requires if any(r.lower().startswith(s) for s in SCM_BUILDERS)), None)
        if scm:
            ev.scm_version = Fact(value=scm, origin=f"{path} [options] setup_requires")
    if parser.has_section("options.extras_require"):
        ev.extras = {k: _requirement_lines(v) for k, v in parser["options.extras_require"].items()}
        ev.extras_origin = f"{path} [options.extras_require]"
    return ev


def _requirement_lines(value: str) -> list[str]:
    # A requirement's own "; marker" must survive: only whole-line comments are dropped.
    return [ln.strip() for ln in value.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def read_setup_py(text: str, path: str = "setup.py") -> Evidence:
    """The literal keyword arguments of setup(...): python_requires, install_requires, extras_require,
    tests_require, setup_requires. Names assigned a literal at module level are followed once."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return Evidence()
    names = _literal_assignments(tree)
    call = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and _called(n) in ("setup", "setuptools.setup")), None)
    ev = Evidence()
    if call is None:
        return ev
    kw = {k.arg: _literal(k.value, names) for k in call.keywords if k.arg}
    if isinstance(kw.get("python_requires"), str):
        ev.requires_python = Fact(value=kw["python_requires"], origin=f"{path} setup(python_requires=...)")
    if isinstance(kw.get("install_requires"), list):
        ev.dependencies = [Fact(value=r, origin=f"{path} setup(install_requires=...)") for r in kw["install_requires"]
                           if isinstance(r, str)]
    extras = kw.get("extras_require")
    if isinstance(extras, dict):
        ev.extras = {k: [r for r in v if isinstance(r, str)] for k, v in extras.items() if isinstance(v, list)}
        ev.extras_origin = f"{path} setup(extras_require=...)"
    if isinstance(kw.get("tests_require"), list):
        ev.groups = {"tests_require": [r for r in kw["tests_require"] if isinstance(r, str)]}
        ev.groups_origin = f"{path} setup(tests_require=...)"
    setup_requires = kw.get("setup_requires") if isinstance(kw.get("setup_requires"), list) else []
    scm = next((r for r in setup_requires if isinstance(r, str) and any(r.lower().startswith(s) for s in SCM_BUILDERS)), None)
    if scm or kw.get("use_scm_version"):
        ev.scm_version = Fact(value=scm or "setuptools_scm", origin=f"{path} setup(use_scm_version/setup_requires)")
    return ev


def _called(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f"{f.value.id}.{f.attr}"
    return ""


def _literal_assignments(tree: ast.Module) -> dict[str, object]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _literal(node.value, out)
            if value is not None:
                out[node.targets[0].id] = value
    return out


def _literal(node: ast.AST, names: dict):
    """A literal value, following module-level names and list concatenation; None when unknown."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, names), _literal(node.right, names)
        return left + right if isinstance(left, list) and isinstance(right, list) else None
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e, names) for e in node.elts]
        return [i for i in items if i is not None]
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values):
            key, val = (_literal(k, names) if k is not None else None), _literal(v, names)
            if isinstance(key, str) and val is not None:
                out[key] = val
        return out
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
