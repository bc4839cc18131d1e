"""The issue-fix episode start state: the base commit, with no later history anywhere.

`start_state_script(task)` returns a bash script for the harvest stage to run inside a fresh
container from `task.image` (as root, before the agent's first turn). It:

1. lists the image's untracked build output (what the install left, e.g. *.egg-info) in
   `.git/info/exclude` so no checkout or clean removes it, checks out `task.commit` (the
   base: the fixing commit's parent) in /testbed, forced and detached, removes other
   untracked files, and drops from every *.egg-info/SOURCES.txt the files the base does
   not have (the install ran at a later commit, and that list would name later files);
2. records the base tree id and the list of tracked files, then deletes /testbed/.git
   entirely: every later commit, tag, branch, remote, reflog, stash, packed or loose
   object goes with it;
3. creates a fresh repository holding exactly the base tree as its only commit (on branch
   `main`, fixed author, date and message), and puts the old `.git/info/exclude` back so
   `git status` stays clean;
4. checks that the new commit's tree id equals the base tree id, and fails (exit 4) if not.

The test patch is never applied: it is withheld until grading. Exit codes: 0 done,
3 the base commit is not in the image's history, 4 the rebuilt tree differs from the base.
The script prints nothing on success.
"""

from __future__ import annotations

import shlex

from forager.images.source import SQUASH_ENV
from forager.records.task import Task

SNAPSHOT_MESSAGE = "Repository snapshot"
# Untracked output the install left (ignored now, perhaps not at an older commit) joins
# .git/info/exclude, so `git clean` at any base commit keeps the environment working.
KEEP_BUILD_OUTPUT = ("git ls-files -z --others --ignored --exclude-standard --directory "
                     "| xargs -0 -r -n1 printf '/%s\\n' >> .git/info/exclude")

_SCRIPT = """set -euo pipefail
cd /testbed
export GIT_LITERAL_PATHSPECS=1
base={base}
if ! git cat-file -e "$base^{{commit}}" 2>/dev/null; then
  echo "forager: base commit $base is not in this image's history" >&2
  exit 3
fi
{checkout}
find . -maxdepth 3 -path ./.git -prune -o -path '*.egg-info/SOURCES.txt' -type f -print | while IFS= read -r f; do
  while IFS= read -r line; do [ -e "$line" ] && printf '%s\\n' "$line"; done < "$f" > "$f.new" || true
  mv "$f.new" "$f"
done
tree=$(git rev-parse "$base^{{tree}}")
keep=$(mktemp -d)
cp .git/info/exclude "$keep/exclude" 2>/dev/null || : > "$keep/exclude"
git ls-files -z > "$keep/files"
rm -rf .git
git init -q -b main .
mkdir -p .git/info
cp "$keep/exclude" .git/info/exclude
if [ -s "$keep/files" ]; then
  git add --force --pathspec-from-file="$keep/files" --pathspec-file-nul
fi
if [ "$(git write-tree)" != "$tree" ]; then
  echo "forager: the rebuilt tree differs from the base tree $tree" >&2
  exit 4
fi
{env} git commit -q --no-verify --allow-empty -m {message}
rm -rf "$keep"
"""


def checkout_base(commit: str, keep_build_output: bool = True, sep: str = " && ") -> str:
    """Bash: /testbed at `commit` (forced, detached), untracked files removed but the install's output.

    The one way Forager moves a repository image to a base commit; `sep="\n"` for scripts
    under `set -e` (where a failure inside an && list would not stop the script).
    """
    steps = [KEEP_BUILD_OUTPUT] if keep_build_output else []
    steps += [f"git checkout -q -f --detach {shlex.quote(commit)}", "git clean -fdq"]
    return sep.join(steps)


def start_state_script(task: Task) -> str:
    """Bash that puts /testbed at task.commit with no later commit or object reachable."""
    if task.variant != "issue-fix" or not task.commit:
        raise ValueError(f"{task.instance_id}: start_state_script is for issue-fix tasks with a base commit")
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(SQUASH_ENV.items()))
    return _SCRIPT.format(base=shlex.quote(task.commit), env=env, checkout=checkout_base(task.commit, sep="\n"),
                          message=shlex.quote(SNAPSHOT_MESSAGE))
