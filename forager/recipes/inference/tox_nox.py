"""tox.ini's test environment (deps, commands, setenv, extras) and noxfile.py's installs (syntax tree)."""

from __future__ import annotations

import ast
import re

from forager.recipes.inference.evidence import Evidence, Fact
from forager.recipes.inference.pytest_ini import parse_ini, read_ini

_FACTOR = re.compile(r"^[\w.,!-]+:\s*")  # "py38,py39: pytest" -> "pytest"


def _values(raw: str) -> list[str]:
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.append(_FACTOR.sub("", line) if _FACTOR.match(line) and not line.startswith(("-", "http")) else line)
    return out


def read_tox_ini(text: str, path: str = "tox.ini") -> Evidence:
    parser = parse_ini(text)
    if parser is None:
        return Evidence()
    ev = read_ini(text, path)
    section = next((s for s in ("testenv", "testenv:py", "testenv:test", "testenv:tests") if parser.has_section(s)), None)
    if section is None:
        return ev
    env = parser[section]
    where = f"{path} [{section}]"
    ev.tox_deps = [Fact(value=d, origin=f"{where} deps") for d in _values(env.get("deps", ""))
                   if not d.startswith("{") and "{" not in d]
    ev.tox_commands = [Fact(value=c, origin=f"{where} commands") for c in _values(env.get("commands", ""))]
    ev.tox_extras = [e for e in re.split(r"[\s,]+", env.get("extras", "")) if e and "{" not in e]
    for line in _values(env.get("setenv", "")):
        key, sep, value = line.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()) and "{" not in value:
            ev.tox_setenv[key.strip()] = value.strip()
    return ev


def read_noxfile(text: str, path: str = "noxfile.py") -> Evidence:
    """String arguments of session.install(...) calls (literal ones only)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return Evidence()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "install":
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if args and len(args) == len(node.args):
                found.append(Fact(value=" ".join(args), origin=f"{path} line {node.lineno}"))
    return Evidence(nox_installs=found)
