"""pyproject.toml: PEP 621 metadata, extras, PEP 735 dependency groups, build system, pytest
settings, and the sections of poetry, pdm and hatch that name test dependencies."""

from __future__ import annotations

import re
import tomllib

from forager.recipes.inference.evidence import Evidence, Fact, PytestConfig
from forager.recipes.inference.pytest_ini import plugins_for, split_addopts

SCM_BUILDERS = ("setuptools_scm", "setuptools-scm", "hatch-vcs", "hatch_vcs", "pdm-backend", "poetry-dynamic-versioning",
                "versioningit", "flit_scm", "setuptools-git-versioning")
_CLASSIFIER = re.compile(r"Programming Language :: Python :: (3\.\d+)$")


def read_pyproject(text: str, path: str = "pyproject.toml") -> Evidence:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return Evidence()
    ev = Evidence()
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    if isinstance(project.get("requires-python"), str):
        ev.requires_python = Fact(value=project["requires-python"], origin=f"{path} [project] requires-python")
    ev.classifier_pythons = _classifier_pythons(project.get("classifiers", []))
    ev.dependencies = [Fact(value=d, origin=f"{path} [project] dependencies")
                       for d in project.get("dependencies", []) if isinstance(d, str)]
    extras = project.get("optional-dependencies", {})
    if isinstance(extras, dict) and extras:
        ev.extras = {k: [d for d in v if isinstance(d, str)] for k, v in extras.items() if isinstance(v, list)}
        ev.extras_origin = f"{path} [project.optional-dependencies]"
    groups = data.get("dependency-groups", {})
    if isinstance(groups, dict) and groups:
        ev.groups = {name: resolve_group(groups, name) for name in groups}
        ev.groups_origin = f"{path} [dependency-groups]"
    _build_system(data, path, ev)
    _tool_sections(data.get("tool", {}), path, ev)
    return ev


def _classifier_pythons(classifiers) -> list[str]:
    found = []
    for c in classifiers if isinstance(classifiers, list) else []:
        m = _CLASSIFIER.match(str(c).strip())
        if m and m.group(1) not in found:
            found.append(m.group(1))
    return found


def resolve_group(groups: dict, name: str, seen: frozenset = frozenset()) -> list[str]:
    """A PEP 735 group's requirements with `{include-group = ...}` entries expanded."""
    out = []
    for entry in groups.get(name, []) if name not in seen else []:
        if isinstance(entry, str):
            out.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
            out += resolve_group(groups, entry["include-group"], seen | {name})
    return out


def _build_system(data: dict, path: str, ev: Evidence) -> None:
    build = data.get("build-system", {})
    if not isinstance(build, dict):
        return
    if isinstance(build.get("build-backend"), str):
        ev.build_backend = Fact(value=build["build-backend"], origin=f"{path} [build-system]")
    ev.build_requires = [r for r in build.get("requires", []) if isinstance(r, str)]
    for req in ev.build_requires:
        if any(req.lower().replace("_", "-").startswith(s.replace("_", "-")) for s in SCM_BUILDERS):
            ev.scm_version = Fact(value=req, origin=f"{path} [build-system] requires")
            break
    dynamic = data.get("project", {}).get("dynamic", []) if isinstance(data.get("project"), dict) else []
    if ev.scm_version is None and "version" in dynamic and _scm_tool(data.get("tool", {})):
        ev.scm_version = Fact(value=_scm_tool(data["tool"]), origin=f"{path} [tool]")


def _scm_tool(tool) -> str | None:
    if not isinstance(tool, dict):
        return None
    for key in ("setuptools_scm", "hatch", "pdm"):
        if key == "hatch" and isinstance(tool.get("hatch"), dict):
            source = tool["hatch"].get("version", {})
            if isinstance(source, dict) and source.get("source") == "vcs":
                return "hatch-vcs"
        elif key == "pdm" and isinstance(tool.get("pdm"), dict):
            version = tool["pdm"].get("version", {})
            if isinstance(version, dict) and version.get("source") == "scm":
                return "pdm scm"
        elif key in tool:
            return key
    return None


def _tool_sections(tool, path: str, ev: Evidence) -> None:
    if not isinstance(tool, dict):
        return
    ini = tool.get("pytest", {}).get("ini_options") if isinstance(tool.get("pytest"), dict) else None
    if isinstance(ini, dict):
        cfg = PytestConfig(origin=f"{path} [tool.pytest.ini_options]", addopts=split_addopts(ini.get("addopts", "")),
                           testpaths=_strings(ini.get("testpaths")), required_plugins=_strings(ini.get("required_plugins")))
        cfg.required_plugins += [p for p in plugins_for(cfg, list(ini)) if p not in cfg.required_plugins]
        ev.pytest = cfg
    poetry = tool.get("poetry", {})
    if isinstance(poetry, dict):
        _poetry(poetry, path, ev)
    pdm = tool.get("pdm", {})
    if isinstance(pdm, dict) and isinstance(pdm.get("dev-dependencies"), dict):
        for name, reqs in pdm["dev-dependencies"].items():
            ev.groups.setdefault(name, [r for r in reqs if isinstance(r, str) and not r.startswith("-e")])
        ev.groups_origin = ev.groups_origin or f"{path} [tool.pdm.dev-dependencies]"
    hatch_envs = tool.get("hatch", {}).get("envs", {}) if isinstance(tool.get("hatch"), dict) else {}
    for env in ("test", "tests", "default"):
        deps = hatch_envs.get(env, {}).get("dependencies") if isinstance(hatch_envs.get(env), dict) else None
        if isinstance(deps, list) and deps:
            ev.groups.setdefault(f"hatch-{env}", [d for d in deps if isinstance(d, str)])
            ev.groups_origin = ev.groups_origin or f"{path} [tool.hatch.envs.{env}]"


def _poetry(poetry: dict, path: str, ev: Evidence) -> None:
    """Poetry's dependency tables: names with poetry's version syntax, turned into plain requirements."""
    if not ev.dependencies:
        ev.dependencies = [Fact(value=r, origin=f"{path} [tool.poetry.dependencies]")
                           for r in _poetry_reqs(poetry.get("dependencies", {}))]
    groups = {"dev": poetry.get("dev-dependencies", {})}
    for name, group in (poetry.get("group", {}) or {}).items():
        if isinstance(group, dict):
            groups[name] = group.get("dependencies", {})
    for name, table in groups.items():
        reqs = _poetry_reqs(table)
        if reqs:
            ev.groups.setdefault(name, reqs)
            ev.groups_origin = ev.groups_origin or f"{path} [tool.poetry]"
    if isinstance(poetry.get("extras"), dict) and not ev.extras:
        deps = _poetry_reqs(poetry.get("dependencies", {}), keep_optional=True)
        by_name = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower(): d for d in deps}
        ev.extras = {k: [by_name.get(n.lower(), n) for n in v] for k, v in poetry["extras"].items() if isinstance(v, list)}
        ev.extras_origin = f"{path} [tool.poetry.extras]"


def _poetry_reqs(table, keep_optional: bool = False) -> list[str]:
    out = []
    for name, spec in (table or {}).items() if isinstance(table, dict) else []:
        if name.lower() == "python":
            continue
        if isinstance(spec, dict):
            if spec.get("optional") and not keep_optional:
                continue
            if "path" in spec or "git" in spec or "url" in spec:
                continue
            spec = spec.get("version", "*")
        out.append(name + poetry_version(str(spec)))
    return out


def poetry_version(spec: str) -> str:
    """Poetry's ^ and ~ constraints as PEP 440 ranges ('^1.2' -> '>=1.2,<2.0'; '*' -> '')."""
    spec = spec.strip()
    if spec in ("", "*"):
        return ""
    parts = []
    for piece in spec.split(","):
        piece = piece.strip()
        if piece.startswith("^"):
            v = piece[1:]
            nums = [int(x) if x.isdigit() else 0 for x in v.split(".")]
            i = next((k for k, n in enumerate(nums) if n != 0), len(nums) - 1)
            upper = nums[: i + 1]
            upper[-1] += 1
            parts += [f">={v}", "<" + ".".join(str(n) for n in upper)]
        elif piece.startswith("~") and not piece.startswith("~="):
            v = piece[1:]
            nums = v.split(".")
            upper = nums[:2] if len(nums) > 1 else nums[:1]
            upper[-1] = str(int(upper[-1]) + 1) if upper[-1].isdigit() else upper[-1]
            parts += [f">={v}", "<" + ".".join(upper)]
        elif piece[0].isdigit():
            parts.append(f"=={piece}")
        else:
            parts.append(piece)
    return ",".join(parts)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
