"""Fixers: a failed or weak attempt's logs -> one changed candidate, or None.

Each fixer reads what the build log or the validation runs say and changes only the recipe
(never the repository's source); the validator judges the result like any other candidate.
"""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from pathlib import Path

from forager.recipes.attempt import Attempt
from forager.recipes.inference.candidates import UV, Candidate, utc
from forager.recipes.inference.pytest_ini import ADDOPT_PLUGINS

# Import names whose distribution is called something else.
MODULE_DISTS = {
    "yaml": "pyyaml", "PIL": "pillow", "sklearn": "scikit-learn", "bs4": "beautifulsoup4", "dateutil": "python-dateutil",
    "attr": "attrs", "google.protobuf": "protobuf", "cv2": "opencv-python-headless", "jwt": "pyjwt", "magic": "python-magic",
    "dotenv": "python-dotenv", "serial": "pyserial", "Crypto": "pycryptodome", "OpenSSL": "pyopenssl", "git": "gitpython",
    "zmq": "pyzmq", "lxml": "lxml", "docutils": "docutils", "typing_extensions": "typing-extensions", "pkg_resources": "setuptools",
}
MAX_IGNORED = 5
_MISSING = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")
_UNRECOGNIZED = re.compile(r"error: unrecognized arguments: (.+)")
_UNCOLLECTABLE = re.compile(r"ERROR collecting ([\w./-]+\.py)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SCM = re.compile(r"setuptools.scm.*unable to detect version|Unable to detect version", re.I)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")[-200_000:] if path else ""
    except OSError:
        return ""


def _with(cand: Candidate, label: str, why: str, **changes) -> Candidate:
    recipe = cand.recipe.model_copy(update=changes, deep=True)
    return Candidate(f"{cand.label} + {label}", recipe, [*cand.provenance, f"fixer: {why}"])


def missing_module(cand: Candidate, logs: str) -> Candidate | None:
    names = [m for m in dict.fromkeys(_MISSING.findall(logs)) if m.split(".")[0] != cand.recipe.name.replace("-", "_")]
    if not names:
        return None
    dists = []
    for mod in names[:3]:
        top = mod if mod in MODULE_DISTS else mod.split(".")[0]
        dists.append(MODULE_DISTS.get(top, top.replace("_", "-")))
    line = f"{UV} {' '.join(shlex.quote(d) for d in dists)}"
    return _with(cand, f"install {dists}", f"ModuleNotFoundError for {names[:3]}: installed {dists}",
                 install=[*cand.recipe.install, line])


def unknown_option(cand: Candidate, logs: str) -> Candidate | None:
    m = _UNRECOGNIZED.search(logs)
    if not m:
        return None
    options = m.group(1).split()
    plugins = sorted({ADDOPT_PLUGINS[o.split("=", 1)[0]] for o in options if ADDOPT_PLUGINS.get(o.split("=", 1)[0])})
    if plugins:
        return _with(cand, f"plugins {plugins}", f"pytest did not know {options}: installed {plugins}",
                     install=[*cand.recipe.install, f"{UV} {' '.join(plugins)}"])
    test = cand.recipe.test.model_copy(update={"command": cand.recipe.test.command + " -o addopts="})
    return _with(cand, "addopts off", f"pytest did not know {options} and no plugin is known for them: "
                 "the settings' addopts are turned off", test=test)


def scm_version(cand: Candidate, logs: str) -> Candidate | None:
    if "SETUPTOOLS_SCM_PRETEND_VERSION" in cand.recipe.env or not _SCM.search(logs):
        return None
    return _with(cand, "scm version", "the build could not find a version in git (no tags in the image)",
                 env={**cand.recipe.env, "SETUPTOOLS_SCM_PRETEND_VERSION": "0.0.0"})


def uncollectable(cand: Candidate, logs: str) -> Candidate | None:
    files = list(dict.fromkeys(_UNCOLLECTABLE.findall(logs)))
    already = cand.recipe.test.command.count("--ignore=")
    if not files or already + len(files) > MAX_IGNORED or cand.recipe.test.framework != "pytest":
        return None
    command = cand.recipe.test.command + "".join(f" --ignore={shlex.quote(f)}" for f in files)
    return _with(cand, f"ignore {len(files)} file(s)", f"test files that cannot be collected, left out: {files}",
                 test=cand.recipe.test.model_copy(update={"command": command}))


def release_date(cand: Candidate, logs: str) -> Candidate | None:
    """A requirement published after the cut-off date: releases of later days are let in, or, the
    second time, the cut-off goes."""
    date = cand.recipe.env.get("UV_EXCLUDE_NEWER")
    if not date or "filtered by `exclude-newer`" not in logs:
        return None
    env = dict(cand.recipe.env)
    if "later releases" in cand.label:
        env.pop("UV_EXCLUDE_NEWER")
        return _with(cand, "no cut-off", "still unresolvable: today's releases", env=env)
    env["UV_EXCLUDE_NEWER"] = utc(date.replace("Z", "+00:00"), timedelta(days=90))
    return _with(cand, "later releases", f"a requirement needs a release after {date}: the cut-off moves 90 days later",
                 env=env)


_VCS = re.compile(r"Failed to (?:download and build|fetch) `?([\w.-]+) @ git\+")


def unreachable_vcs(cand: Candidate, logs: str) -> Candidate | None:
    """A requirement pinned to a git URL that cannot be fetched (host unreachable, commit gone): the
    requirement files are installed without it, and the package from the index instead."""
    names = list(dict.fromkeys(_VCS.findall(_ANSI.sub("", logs))))
    if not names:
        return None
    pattern = "|".join(re.escape(n) for n in names)
    install = []
    for i, line in enumerate(cand.recipe.install):
        m = re.match(r"^(uv pip install .*?)-r (\S+)$", line)
        if m:
            tmp = f"/tmp/forager-requirements-{i}.txt"
            line = f"grep -v -i -E '^({pattern}) *@' {m.group(2)} > {tmp} && {m.group(1)}-r {tmp}"
        install.append(line)
    if install == cand.recipe.install:
        return None
    install.append(f"{UV} {' '.join(shlex.quote(n) for n in names)}")
    return _with(cand, f"{names} from the index", f"git requirements that could not be fetched: {names}; "
                 "installed from the package index instead", install=install)


FIXERS = (scm_version, release_date, unreachable_vcs, missing_module, unknown_option, uncollectable)


def fix(cand: Candidate, attempt: Attempt, build_log: str = "", validation_log: str = "") -> Candidate | None:
    """The first fixer that applies to what the logs say."""
    logs = _read(build_log or attempt.build_log) + "\n" + _read(validation_log or attempt.validation_log) + "\n" + attempt.reason
    for fixer in FIXERS:
        repaired = fixer(cand, logs)
        if repaired is not None:
            return repaired
    return None
