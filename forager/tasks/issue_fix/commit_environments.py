"""Environments for issue-fix: the image's own, reused at older base commits when it fits, or
rebuilt at the base commit (the recipe's install commands re-run) and kept as an image.

The image's environment was installed at the recipe's commit. Whether it fits a base commit
is decided from the install inputs (packaging files, requirements, lock files, compiled
extension sources) of both commits: the same inputs mean the same environment ("reused");
different inputs mean the install commands are re-run at the base ("reinstalled"). A rebuild
starts a container with network for the install step only, disconnects it from the network,
resets /testbed to the base commit and commits the container as an image
`forager/issuefix-env-<image id>:<hash>`, which tasks then name as their image. Rebuilt
environments are shared by every base commit with the same install inputs.
"""

from __future__ import annotations

import fnmatch
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

import git
from docker.errors import APIError, ImageNotFound

from forager.containers import Limits, Sandbox
from forager.engine import LABEL, client
from forager.errors import ForagerError
from forager.hashing import digest
from forager.images.build import INSTALL_SCRIPT
from forager.records.manifest import Manifest
from forager.tasks.issue_fix.start_state import KEEP_BUILD_OUTPUT, checkout_base
from forager.testsuite.testfiles import is_test_path

INSTALL_NAMES = {"setup.py", "setup.cfg", "pyproject.toml", "Pipfile", "Pipfile.lock", "poetry.lock",
                 "pdm.lock", "uv.lock", "environment.yml", "environment.yaml", "Cargo.toml", "Cargo.lock",
                 "meson.build", "CMakeLists.txt"}
INSTALL_PATTERNS = ("requirements*.txt", "requirements*.in", "constraints*.txt")
COMPILED_SUFFIXES = {".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".pyx", ".pxd", ".pxi", ".rs",
                     ".f", ".f90", ".cu"}
KIND = "issue-env"


def is_install_input(path: str) -> bool:
    """Files whose change can make the installed environment wrong for the code."""
    if is_test_path(path):
        return False
    p = PurePosixPath(path)
    if p.name in INSTALL_NAMES or p.suffix in COMPILED_SUFFIXES:
        return True
    return any(fnmatch.fnmatch(p.name, pat) for pat in INSTALL_PATTERNS) or "requirements" in p.parts[:-1]


def install_inputs(repo: git.Repo, commit: str) -> dict[str, str]:
    """path -> blob id of the install inputs in `commit`'s tree."""
    out = repo.git.execute(["git", "ls-tree", "-r", "-z", "--full-tree", commit],
                           stdout_as_string=False, strip_newline_in_stdout=False)
    found = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        name = path.decode("utf-8", "surrogateescape")
        if is_install_input(name):
            found[name] = meta.split()[2].decode()
    return found


def fingerprint(inputs: dict[str, str]) -> str:
    return digest(*(f"{p}\0{b}" for p, b in sorted(inputs.items())))


def differing(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(p for p in set(a) | set(b) if a.get(p) != b.get(p))


@dataclass(frozen=True)
class Environment:
    kind: Literal["reused", "reinstalled"]
    image: str
    image_id: str
    reason: str = ""


class EnvironmentFailed(ForagerError):
    """The install commands failed at a base commit."""


def _image_id(tag: str) -> str | None:
    try:
        return client().images.get(tag).id
    except ImageNotFound:
        return None


class _InstallFailed(Exception):
    """One install plan failed; the next is tried."""


def _short(text: str, n: int = 300) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else "no output")[:n]


class Environments:
    """The containers of one image's issue-fix validation: one warm container for the image's
    own environment, one for the most recent rebuilt environment."""

    def __init__(self, m: Manifest, mirror: git.Repo):
        self.m, self.mirror = m, mirror
        self.home = install_inputs(mirror, m.commit) if m.commit else {}
        self.boxes: dict[str, Sandbox] = {}
        self.failed: dict[str, str] = {}
        self.created: set[str] = set()  # environment images built by this run
        self.kept: set[str] = set()  # ... and named by a task

    def keep(self, env: Environment) -> None:
        """A task names env's image: it stays after close()."""
        self.kept.add(env.image)

    def close(self) -> None:
        """Remove the containers, and the environment images this run built that no task names."""
        for box in self.boxes.values():
            box.remove()
        self.boxes.clear()
        for tag in self.created - self.kept:
            try:
                client().images.remove(tag, force=True)
            except (ImageNotFound, APIError):
                pass

    def __enter__(self) -> "Environments":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _labels(self) -> dict[str, str]:
        return {"forager.image": self.m.id}

    def _box(self, tag: str) -> Sandbox:
        if tag not in self.boxes:
            for other in [t for t in self.boxes if t != self.m.image_tag]:
                self.boxes.pop(other).remove()
            box = Sandbox.start(tag, kind="issue-fix", labels=self._labels())
            self.boxes[tag] = box
            box.exec(KEEP_BUILD_OUTPUT, timeout=120)
        return self.boxes[tag]

    def for_base(self, base: str, force_rebuild: bool = False) -> tuple[Sandbox, Environment]:
        """A container whose environment fits `base` (raises EnvironmentFailed)."""
        inputs = install_inputs(self.mirror, base)
        changed = differing(self.home, inputs)
        if not changed and not force_rebuild:
            return self._box(self.m.image_tag), Environment("reused", self.m.image_tag, self.m.image_id)
        if changed:
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            key, reason = fingerprint(inputs), f"install inputs differ from the image's commit: {shown}"
        else:
            key, reason = f"base:{base}", "the image's environment could not run the tests at the base commit"
        tag = f"forager/issuefix-env-{self.m.id}:{digest(self.m.image_id, key)[:12]}"
        if key in self.failed:
            raise EnvironmentFailed(self.failed[key])
        image_id = _image_id(tag)
        if image_id is None:
            try:
                image_id = self._rebuild(base, tag)
                self.created.add(tag)
            except EnvironmentFailed as exc:
                self.failed[key] = str(exc)
                raise
        return self._box(tag), Environment("reinstalled", tag, image_id, reason)

    def install_plans(self, base: str) -> list[tuple[str, list[str]]]:
        """What to install at `base`, in the order tried: inferred from the files at that commit
        with releases as of its date (the recipe's own lines install today's releases, which an
        old commit may not run with), then the recipe's own lines (an old commit's date can also
        bring build tools too old for today's installer: setuptools before editable wheels)."""
        from forager.recipes.inference.candidates import candidates
        from forager.recipes.inference.tree import read_tree
        own = ("the recipe's install lines", list(self.m.recipe.install))
        try:
            ev = read_tree(self.mirror, base)
            cand = candidates(ev, self.m.recipe.source.model_copy(update={"commit": base}), self.m.recipe.name, False)[0]
        except (git.GitCommandError, IndexError, ValueError):
            return [own]
        exports = [f"export {k}={shlex.quote(v)}" for k, v in sorted(cand.recipe.env.items())]
        inferred = ("inferred at the base commit, releases of its date", [*exports, *cand.recipe.install])
        return [inferred, own] if inferred[1] != own[1] else [own]

    def _rebuild(self, base: str, tag: str) -> str:
        """The first install plan that succeeds at `base`; each runs in a fresh container."""
        failures = []
        for name, lines in self.install_plans(base):
            try:
                return self._install(base, tag, lines)
            except _InstallFailed as exc:
                failures.append(f"{name}: {exc}")
        raise EnvironmentFailed(f"reinstall at {base[:12]} failed; " + "; ".join(failures))

    def _install(self, base: str, tag: str, lines: list[str]) -> str:
        """Install at `base` in a container with network, then keep it (offline) as `tag`."""
        r = self.m.recipe
        box = Sandbox.start(self.m.image_tag, kind=KIND, limits=Limits(network=True), labels=self._labels())
        try:
            res = box.exec(checkout_base(base), timeout=300)
            if res.exit_code != 0:
                raise EnvironmentFailed(f"cannot check out {base[:12]} in the image: {_short(res.output)}")
            box.write_file("/opt/forager/install-base.sh", INSTALL_SCRIPT.format(commands="\n".join(lines)).encode())
            res = box.exec("bash /opt/forager/install-base.sh", timeout=r.build_timeout)
            if res.exit_code != 0:
                why = "timed out" if res.timed_out else f"exit {res.exit_code}"
                raise _InstallFailed(f"{why}: {_short(res.output)}")
            client().networks.get("bridge").disconnect(box.container, force=True)
            box.exec("git checkout -q -f -- . && git clean -fdq && rm -rf /tmp/.forager-*", timeout=120)
            repo, _, version = tag.rpartition(":")
            image = box.container.commit(repository=repo, tag=version, message=f"issue-fix environment at {base}",
                                         changes=["WORKDIR /testbed", 'CMD ["bash"]', f"LABEL {LABEL}.kind={KIND}",
                                                  f"LABEL {LABEL}.recipe={self.m.id}", f"LABEL {LABEL}.base={base}"])
            return image.id
        except APIError as exc:
            raise EnvironmentFailed(f"reinstall at {base[:12]}: docker error {exc.explanation}") from None
        finally:
            box.remove()
