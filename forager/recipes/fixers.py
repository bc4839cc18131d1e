"""Fixers: a failed or weak attempt's logs -> one changed candidate, or None.

Each fixer reads what the build log or the validation runs say and changes only the recipe
(never the repository's source); the validator judges the result like any other candidate.
"""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from pathlib import Path, PurePosixPath

from forager.recipes.attempt import Attempt
from forager.recipes.inference.candidates import PREPARE_FAILED, UV, Candidate, add_install, utc
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
# The section header, or the short summary's line (the header may be cut off a long output's tail).
_UNCOLLECTABLE = re.compile(r"ERROR collecting ([\w./-]+\.py)|^ERROR ([\w./-]+\.py)(?: - |\s*$)", re.M)
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
                 install=add_install(cand.recipe.install, line))


def unknown_option(cand: Candidate, logs: str) -> Candidate | None:
    m = _UNRECOGNIZED.search(logs)
    if not m:
        return None
    options = m.group(1).split()
    plugins = sorted({ADDOPT_PLUGINS[o.split("=", 1)[0]] for o in options if ADDOPT_PLUGINS.get(o.split("=", 1)[0])})
    if plugins:
        return _with(cand, f"plugins {plugins}", f"pytest did not know {options}: installed {plugins}",
                     install=add_install(cand.recipe.install, f"{UV} {' '.join(plugins)}"))
    test = cand.recipe.test.model_copy(update={"command": cand.recipe.test.command + " -o addopts="})
    return _with(cand, "addopts off", f"pytest did not know {options} and no plugin is known for them: "
                 "the settings' addopts are turned off", test=test)


def scm_version(cand: Candidate, logs: str) -> Candidate | None:
    if "SETUPTOOLS_SCM_PRETEND_VERSION" in cand.recipe.env or not _SCM.search(logs):
        return None
    return _with(cand, "scm version", "the build could not find a version in git (no tags in the image)",
                 env={**cand.recipe.env, "SETUPTOOLS_SCM_PRETEND_VERSION": "0.0.0"})


def uncollectable(cand: Candidate, logs: str) -> Candidate | None:
    files = list(dict.fromkeys(a or b for a, b in _UNCOLLECTABLE.findall(logs)))
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
# Every git requirement of a requirements file, in both spellings, becomes its bare name (the index).
_VCS_SED = (r"sed -E -e 's/^([A-Za-z0-9][A-Za-z0-9._-]*(\[[^]]*\])?) *@ *git\+.*/\1/I'"
            r" -e 's/^(-e +)?git\+[^#]*#egg=([A-Za-z0-9._-]+).*/\2/'")
_VCS_WORD = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*(\[[^]]*\])?) *@ *git\+")


def unreachable_vcs(cand: Candidate, logs: str) -> Candidate | None:
    """A requirement pinned to a git URL that cannot be fetched (host unreachable, commit gone): every
    git requirement of the install lines and their requirement files comes from the package index
    instead, all in one change (uv reports only the first it fails on)."""
    names = list(dict.fromkeys(_VCS.findall(_ANSI.sub("", logs))))
    if not names:
        return None
    install = []
    for i, line in enumerate(cand.recipe.install):
        m = re.match(r"^(uv pip install .*?)-r (\S+)$", line)
        if m:
            # beside the original, so its own `-r other.txt` lines still resolve; removed after
            tmp = shlex.quote(str(PurePosixPath(shlex.split(m.group(2))[0]).parent / f".forager-requirements-{i}.txt"))
            line = f"{_VCS_SED} {m.group(2)} > {tmp} && {m.group(1)}-r {tmp} && rm -f {tmp}"
        elif line.startswith("uv pip install ") and "git+" in line:
            line = " ".join(shlex.quote(m.group(1) if (m := _VCS_WORD.match(w)) else w) for w in shlex.split(line))
        install.append(line)
    if install == cand.recipe.install:
        return None
    return _with(cand, f"{names} from the index", f"git requirements could not be fetched ({names}): every git "
                 "requirement is installed from the package index instead", install=install)


_APT_MISSING = re.compile(r"Package '([\w.+-]+)' has no installation candidate|Unable to locate package ([\w.+-]+)")


def unavailable_apt(cand: Candidate, logs: str) -> Candidate | None:
    """apt packages the CI workflow names that the image's Debian release does not have (e.g.
    python-is-python2 of an older Ubuntu) are left out."""
    gone = {a or b for a, b in _APT_MISSING.findall(_ANSI.sub("", logs))} & set(cand.recipe.apt)
    if not gone:
        return None
    return _with(cand, f"apt without {sorted(gone)}", f"apt has no package {sorted(gone)} in this Debian release: left out",
                 apt=[p for p in cand.recipe.apt if p not in gone])


def unittest_via_pytest(cand: Candidate, logs: str) -> Candidate | None:
    """A unittest suite that the unittest runner could not load well enough (a test folder that is
    not a package, a start directory that is not importable): pytest collects unittest.TestCase
    classes by file path, so it runs the same tests."""
    if cand.recipe.test.framework != "unittest":
        return None
    test = cand.recipe.test.model_copy(update={"framework": "pytest", "command": "python -m pytest"})
    install = cand.recipe.install
    if not any(re.search(r"install .*\bpytest\b", line) for line in install):
        install = add_install(install, f"{UV} pytest")
    return _with(cand, "run by pytest", "the unittest runner did not load enough of the suite: the same "
                 "unittest tests run by pytest", test=test, install=install)


_CRASH = re.compile(r"INTERNALERROR> Plugin: ([\w.-]+), Hook:")
_RECORDED = re.compile(r"=== pytest plugins: \[([^\]]*)\]")


def crashing_plugin(cand: Candidate, logs: str) -> Candidate | None:
    """A pytest plugin that crashes the session (INTERNALERROR in its hook, e.g. pytest-memray
    without pytest's cache, which the validator turns off so runs never write into the tree):
    the distribution that provides it is uninstalled."""
    m = _CRASH.search(logs)
    if not m or cand.recipe.test.framework != "pytest":
        return None
    obj = m.group(1)
    recorded = [n.strip(" '\"") for n in (_RECORDED.findall(logs) or [""])[-1].split(",") if n.strip()]
    name = next((n for n in recorded if obj.startswith(n) or n.startswith(obj)), obj)
    script = ("from importlib.metadata import distributions as d; print(*{x.metadata['Name'] for x in d() "
              f"for e in x.entry_points if e.group == 'pytest11' and e.name == {name!r}}})")
    line = f"python -c {shlex.quote(script)} | xargs -r uv pip uninstall --python python"
    if line in cand.recipe.install:
        return None
    return _with(cand, f"without plugin {name}", f"the pytest plugin {name!r} crashed the session ({obj}): "
                 "the distribution providing it is uninstalled", install=add_install(cand.recipe.install, line))


# Debian bookworm's CPython 3.11.2 crashes in two ways while pytest formats a failure's traceback:
# parsing the source ("AST constructor recursion depth mismatch"; native tracebacks parse none), and
# reading a frame's positions ("generator raised StopIteration" in traceback's frame walk; every style
# but `line` reads them).
_TB_CRASH_AST = "AST constructor recursion depth mismatch"
_TB_CRASH_POSITIONS = re.compile(r"_extract_from_extended_frame_gen[\s\S]{0,400}?RuntimeError: generator raised StopIteration")


def traceback_crash(cand: Candidate, logs: str) -> Candidate | None:
    """pytest crashes while formatting a failure's traceback (CPython 3.11.2): tracebacks are printed
    natively (no source parsed) or, for the frame-positions crash, one line per failure."""
    command = cand.recipe.test.command
    if cand.recipe.test.framework != "pytest":
        return None
    if _TB_CRASH_POSITIONS.search(logs) and "--tb=line" not in command:
        style, why = "--tb=line", "pytest crashed reading a frame's positions while formatting a traceback " \
                                  "(generator raised StopIteration, a CPython 3.11.2 bug): --tb=line"
    elif _TB_CRASH_AST in logs and "--tb=" not in command:
        style, why = "--tb=native", "pytest crashed formatting a traceback (AST constructor recursion depth " \
                                    "mismatch, a CPython 3.11.2 bug): --tb=native"
    else:
        return None
    words = [w for w in command.split() if not w.startswith("--tb=")]
    test = cand.recipe.test.model_copy(update={"command": " ".join([*words, style])})
    return _with(cand, "line tracebacks" if style == "--tb=line" else "native tracebacks", why, test=test)


def failed_prepare(cand: Candidate, logs: str) -> Candidate | None:
    """A preparation script of the CI workflow failed in the image (a tool it needs is missing, it
    wants the network): the scripts are left out; the tests may pass without what they make."""
    if PREPARE_FAILED not in logs:
        return None
    install = [line for line in cand.recipe.install if PREPARE_FAILED not in line]
    return _with(cand, "without preparation scripts", "a preparation script of the CI workflow failed: left out",
                 install=install)


FIXERS = (failed_prepare, unavailable_apt, scm_version, release_date, unreachable_vcs, missing_module, unknown_option, crashing_plugin,
          traceback_crash, uncollectable, unittest_via_pytest)


def fix(cand: Candidate, attempt: Attempt, build_log: str = "", validation_log: str = "") -> Candidate | None:
    """The first fixer that applies to what the logs say."""
    logs = _read(build_log or attempt.build_log) + "\n" + _read(validation_log or attempt.validation_log) + "\n" + attempt.reason
    for fixer in FIXERS:
        repaired = fixer(cand, logs)
        if repaired is not None:
            return repaired
    return None
