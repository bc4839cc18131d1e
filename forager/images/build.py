"""Build one repository image from a recipe, tagged by the hash of everything that went in."""

from __future__ import annotations

import json
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from forager import paths
from forager.engine import client
from forager.hashing import digest
from forager.images import source
from forager.images.base import ensure_base
from forager.images.dockerbuild import build
from forager.records.recipe import LoadedRecipe

# The install script: the recipe's commands, then untracked build output (egg-info, build/)
# goes into .git/info/exclude so the agent starts from a clean `git status`.
INSTALL_SCRIPT = """set -euo pipefail
cd /testbed
{commands}
git ls-files --others --exclude-standard --directory | sed 's|^|/|' >> .git/info/exclude
"""


@dataclass(frozen=True)
class BuildPlan:
    loaded: LoadedRecipe
    base: str
    base_id: str
    commit: str | None
    content_hash: str

    @property
    def tag(self) -> str:
        return f"forager/repo-{self.loaded.recipe.name}:{self.content_hash[:12]}"


def _dockerfile(plan: BuildPlan) -> str:
    r = plan.loaded.recipe
    apt = ""
    if r.apt:
        pkgs = " ".join(shlex.quote(p) for p in r.apt)
        apt = (f"RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends {pkgs} "
               "&& rm -rf /var/lib/apt/lists/*")
    env = "".join(f"ENV {k}={json.dumps(v)}\n" for k, v in sorted(r.env.items()))
    return paths.dockerfile("repo.Dockerfile").format(
        base=plan.base_id, apt=apt, env=env, build_timeout=r.build_timeout, name=r.name)


def _install_script(loaded: LoadedRecipe) -> str:
    return INSTALL_SCRIPT.format(commands="\n".join(loaded.recipe.install))


def plan_build(loaded: LoadedRecipe) -> BuildPlan:
    """Everything that decides the image, hashed; no build happens here."""
    base = ensure_base(loaded.recipe.python)
    base_id = client().images.get(base).id
    src_hash, commit = source.source_digest(loaded)
    plan = BuildPlan(loaded, base, base_id, commit, "")
    h = digest(loaded.recipe.content_hash(), base_id, src_hash, _dockerfile(plan),
               _install_script(loaded))
    return BuildPlan(loaded, base, base_id, commit, h)


def build_repo_image(plan: BuildPlan, log_path: Path) -> str:
    """Build the image for `plan`; returns the image id."""
    with tempfile.TemporaryDirectory(prefix="forager-build-", dir=paths.cache("tmp")) as tmp:
        ctx = Path(tmp)
        missing = source.materialize(plan.loaded, plan.commit, ctx / "testbed")
        (ctx / "Dockerfile").write_text(_dockerfile(plan))
        (ctx / "install.sh").write_text(_install_script(plan.loaded))
        try:
            return build(ctx, plan.tag, log_path, labels={"forager.kind": "repo",
                                                          "forager.recipe": plan.loaded.recipe.name})
        finally:
            if missing:
                with log_path.open("a") as log:
                    log.write(f"=== {len(missing)} file(s) of the commit are not in the git mirror and were left "
                              f"out of /testbed: {', '.join(missing[:20])}\n")
