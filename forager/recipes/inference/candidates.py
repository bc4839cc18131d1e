"""Evidence -> a few ranked candidate recipes, each with the provenance of every choice.

Installs go through uv with UV_EXCLUDE_NEWER set to the commit's date, so an old commit gets
the releases of its time. `--reinstall` makes uv replace what the base image holds already (pytest
and its dependencies, newer than the commit) by the releases of that date: an installed version
that satisfies a requirement would otherwise stay, whatever its date.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from forager.recipes.inference.evidence import Evidence
from forager.recipes.inference.pytest_ini import plugins_for
from forager.recipes.inference.python_version import choose_python
from forager.recipes.inference.tree import find_test_dirs
from forager.records.recipe import Recipe, Source, TestSpec

TEST_EXTRAS = ("test", "tests", "testing", "dev", "develop")
TEST_GROUPS = ("test", "tests", "testing", "dev", "tests_require", "hatch-test", "hatch-tests", "hatch-default")
UV = "uv pip install --python python --reinstall"
BOOTSTRAP = "pip install -q uv"
# The project itself, once more and last, without its dependencies: a later `--reinstall` line that
# needs it as a dependency (pytest needs pluggy, packaging, iniconfig and pygments; a pinned dev
# requirements file may name the project) would otherwise leave the index's release in place of
# the commit's code.
SELF_LAST = f"{UV} --no-deps"


@dataclass
class Candidate:
    label: str
    recipe: Recipe
    provenance: list[str] = field(default_factory=list)


def _q(reqs: list[str]) -> str:
    return " ".join(shlex.quote(r) for r in reqs)


def _is_self(req: str, name: str) -> bool:
    """A requirement on the project itself ('pkg[test]'): installed by `-e .[...]` already."""
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-") == name.lower().replace("_", "-")


# Releases made just after a commit (a sibling package bumped the same day, as boto3 and botocore
# are) belong to its time too.
RELEASE_SLACK = timedelta(days=7)


def utc(iso: str, slack: timedelta = RELEASE_SLACK) -> str:
    """A git ISO date plus the slack, as the RFC 3339 UTC timestamp uv takes ('2022-06-08T12:00:00Z')."""
    return (datetime.fromisoformat(iso) + slack).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _env(ev: Evidence) -> tuple[dict[str, str], list[str]]:
    env, why = {}, []
    if ev.commit_date:
        env["UV_EXCLUDE_NEWER"] = utc(ev.commit_date)
        why.append(f"UV_EXCLUDE_NEWER: the commit's date ({ev.commit_date}) and {RELEASE_SLACK.days} days: "
                   "releases of its time")
    if ev.scm_version:
        version = (ev.version_tag or "0.0.0").lstrip("v")
        version = version if re.fullmatch(r"\d+(\.\d+)*([abc]|rc|\.post|\.dev)?\d*", version) else "0.0.0"
        env["SETUPTOOLS_SCM_PRETEND_VERSION"] = version
        why.append(f"SETUPTOOLS_SCM_PRETEND_VERSION={version}: version from git ({ev.scm_version.origin}), "
                   f"and the image holds no tags (nearest tag: {ev.version_tag or 'none'})")
    for k, v in ev.tox_setenv.items():
        if k not in env and not k.startswith(("PIP_", "UV_", "COVERAGE")) and "{" not in v:
            env[k] = v
            why.append(f"{k}: tox setenv")
    return env, why


def _test_spec(ev: Evidence, unittest_only: bool, extra_args: list[str] = ()) -> tuple[TestSpec, list[str]]:
    dirs = find_test_dirs(ev.files)
    if unittest_only:
        paths = dirs[:1] or ["."]
        return TestSpec(framework="unittest", paths=paths), [f"unittest: test modules import unittest, none pytest; paths {paths}"]
    cfg = ev.pytest
    opts = list(extra_args)
    why = []
    if cfg and any(o.startswith("--cov") for o in cfg.addopts):
        opts.append("--no-cov")
        why.append(f"--no-cov: {cfg.origin} addopts measure coverage, which would write into the tree")
    if cfg and cfg.testpaths:
        paths: list[str] = []
        why.append(f"paths: pytest's testpaths {cfg.testpaths} ({cfg.origin})")
    else:
        paths = dirs[:1]
        why.append(f"paths: {paths or 'the whole repository'} (where the test modules are)")
    command = "python -m pytest" + (" " + " ".join(shlex.quote(o) for o in opts) if opts else "")
    return TestSpec(framework="pytest", command=command, paths=paths, timeout=900), why


def _extras(ev: Evidence) -> list[str]:
    chosen = [e for e in TEST_EXTRAS if e in ev.extras]
    return chosen[:1] + [e for e in ev.tox_extras if e in ev.extras and e not in chosen[:1]]


def _packaging_install(ev: Evidence, name: str, editable: bool) -> tuple[list[str], list[str]]:
    """Install lines from the packaging metadata: the project with its test extras, test groups,
    test requirement files and the plugins pytest's settings need."""
    lines, why = [BOOTSTRAP], []
    extras = _extras(ev)
    target = "." + (f"[{','.join(extras)}]" if extras else "")
    lines.append(f"{UV} {'-e ' if editable else ''}{shlex.quote(target)}")
    if extras:
        why.append(f"extras {extras} ({ev.extras_origin})")
    groups = [g for g in TEST_GROUPS if g in ev.groups]
    reqs = [r for g in groups[:2] for r in ev.groups[g] if not _is_self(r, name)]
    if reqs:
        lines.append(f"{UV} {_q(reqs)}")
        why.append(f"dependency groups {groups[:2]} ({ev.groups_origin})")
    for f in ev.requirement_files[:2]:
        lines.append(f"{UV} -r {shlex.quote(f)}")
        why.append(f"requirements file {f}")
    if not ev.requirement_files and "requirements.txt" in ev.files and not reqs:
        lines.append(f"{UV} -r requirements.txt")
        why.append("requirements.txt: no test requirements file or dependency group names the test tools")
    if not extras and not reqs and not ev.requirement_files and ev.tox_deps:
        deps = [d.value for d in ev.tox_deps if not d.value.startswith("-") and not _is_self(d.value, name)]
        if deps:
            lines.append(f"{UV} {_q(deps)}")
            why.append(f"tox deps ({ev.tox_deps[0].origin})")
    plugins = plugins_for(ev.pytest) if ev.pytest else []
    plugins += [p for p in (ev.pytest.required_plugins if ev.pytest else []) if p not in plugins]
    lines.append(f"{UV} pytest {_q(plugins)}".rstrip())
    why.append("pytest of the commit's time" + (f", plugins its settings need: {plugins}" if plugins else ""))
    lines.append(f"{SELF_LAST} {'-e ' if editable else ''}.")
    why.append("the project installed again last, without dependencies, so no later line replaces the commit's "
               "code by a release from the index")
    return lines, why


def add_install(install: list[str], line: str) -> list[str]:
    """`line` added to the install lines, before the final reinstall of the project if there is one
    (preparation scripts may follow that reinstall)."""
    for i in range(len(install) - 1, -1, -1):
        if install[i].startswith(SELF_LAST):
            return [*install[:i], line, *install[i:]]
    return [*install, line]


def _workflow_install(ev: Evidence) -> list[str]:
    lines = [BOOTSTRAP]
    for f in ev.workflow_installs:
        words = shlex.split(f.value) if f.value.count("'") % 2 == 0 and f.value.count('"') % 2 == 0 else f.value.split()
        try:
            at = words.index("install")
        except ValueError:
            continue
        args = [w for w in words[at + 1:] if w not in ("--user", "-U", "--upgrade", "--pre", "-q", "--quiet")]
        if args:
            lines.append(f"{UV} {_q(args)}")
    lines.append(f"{UV} pytest")
    selfs = [w for line in lines for w in shlex.split(line) if re.fullmatch(r"\.(\[[\w,-]+\])?", w)]
    if selfs:
        editable = any(re.search(r"(^| )(-e|--editable) '?\.", line) for line in lines)
        lines.append(f"{SELF_LAST} {'-e ' if editable else ''}.")
    return lines


PREPARE_FAILED = "forager: a preparation step of the CI workflow failed:"


def prepare_lines(ev: Evidence) -> list[str]:
    """The CI test job's own preparation scripts that exist in the tree, each saying so if it fails
    (the fixer `failed_prepare` then leaves them out)."""
    out = []
    for f in ev.workflow_prepares:
        words = f.value.split()
        if words[0] in ("bash", "sh", "python", "python3"):
            words = words[1:]
        # The script, and every argument that names a file, must be in the tree (a wrapper running
        # `venv/bin/python x.py` needs a CI machine's virtualenv).
        paths = [w.removeprefix("./") for w in words if "/" in w or w.endswith((".py", ".sh"))]
        if words[0].removeprefix("./") in paths and all(p in ev.files for p in paths) and f.value not in out:
            out.append(f.value)
    return [f"{{ {v}; }} || {{ echo {shlex.quote(f'{PREPARE_FAILED} {v}')} >&2; exit 1; }}" for v in out[:3]]


def candidates(ev: Evidence, source: Source, name: str, unittest_only: bool) -> list[Candidate]:
    py = choose_python(ev)
    env, env_why = _env(ev)
    test, test_why = _test_spec(ev, unittest_only)
    common = [f"python {py.origin}", *env_why, *test_why]
    apt = list(dict.fromkeys(f.value for f in ev.apt if re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", f.value)))[:10]
    if apt:
        common.append(f"apt {apt}: the CI workflow installs them ({ev.apt[0].origin})")
    prepare = prepare_lines(ev)
    if prepare:
        common.append(f"then {len(prepare)} preparation script(s) the CI test job runs before its tests "
                      f"({ev.workflow_prepares[0].origin})")
    out = []
    for label, editable in (("packaging metadata, editable", True), ("packaging metadata", False)):
        install, why = _packaging_install(ev, name, editable)
        install += prepare
        out.append(Candidate(label, Recipe(name=name, source=source, python=py.value, apt=apt, install=install, env=env,
                                           test=test), [*common, *why]))
    if ev.workflow_installs:
        install = _workflow_install(ev) + prepare
        out.insert(1, Candidate("CI workflow", Recipe(name=name, source=source, python=py.value, apt=apt, install=install,
                                                      env=env, test=test),
                                [*common, f"install: the run steps of {ev.workflow_installs[0].origin}"]))
    return out
