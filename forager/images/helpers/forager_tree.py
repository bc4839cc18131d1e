"""In-container helper for grading: snapshot /testbed, then put back what a submission may not change.

Usage (stdlib only; run by Forager's own Python, never the repository's):
  forager_tree.py snapshot ROOT WORK          record every entry of ROOT (ignored files and .git
                                              included) and copy the protected ones into WORK/keep
  forager_tree.py restore ROOT WORK NAMES     after the patch: remove what may not be added, put
                                              back what may not change; prints a JSON report
  forager_tree.py names                       (run by the test runner's Python) the top-level
                                              module names importable from outside /testbed

Changes are seen through lstat: the patch tools cannot set a file's ctime, so any write,
chmod, rename or replacement shows, whatever git or the repository's .gitignore say.
The protection rule lives here, and forager.testsuite.testfiles imports it, so host and
container agree on one rule.
"""

import json
import os
import shutil
import stat
import sys
from fnmatch import fnmatch

TEST_DIRS = {"test", "tests", "testing"}
TEST_FILE_PATTERNS = ("test_*.py", "*_test.py", "tests.py", "conftest.py")
# Files that configure how tests run, how the package is built, or what Python loads at
# start-up: a submission that edits them could change what the grader sees.
CONFIG_FILES = {"pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml", "tox.ini", "setup.cfg",
                "pyproject.toml", "noxfile.py", "setup.py", ".coveragerc", "sitecustomize.py",
                "usercustomize.py", ".gitignore", ".gitattributes", ".gitmodules"}
# Install metadata: entry points (pytest11 plugins) are read from it.
METADATA_SUFFIXES = (".dist-info", ".egg-info", ".egg-link")
MODULE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyw", ".so", ".pyd")


def _parts(path):
    return [p for p in path.split("/") if p]


def is_test_path(path):
    parts = _parts(path)
    if any(part in TEST_DIRS for part in parts[:-1]):
        return True
    return bool(parts) and any(fnmatch(parts[-1], pat) for pat in TEST_FILE_PATTERNS)


def is_protected(path):
    """Tests, conftest files, test and packaging configuration, start-up hooks, install
    metadata and git's own files: a submission may not change or add any of them."""
    parts = _parts(path)
    if not parts:
        return False
    name = parts[-1]
    return (parts[0] == ".git" or is_test_path(path) or name in CONFIG_FILES or name.endswith(".pth")
            or any(p.endswith(METADATA_SUFFIXES) for p in parts))


def module_name(name, is_dir):
    """The top-level module a directory entry named `name` would be imported as, else None."""
    if is_dir:
        return name if name.isidentifier() else None
    for suffix in MODULE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)].split(".")[0] or None
    return None


# ---------------------------------------------------------------- snapshot and compare


def _sig(st):
    kind = "d" if stat.S_ISDIR(st.st_mode) else "l" if stat.S_ISLNK(st.st_mode) else "f"
    if kind == "d":
        return [kind, st.st_mode]  # a directory's times change whenever an entry does
    return [kind, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def scan(root):
    """{relative path: signature} for every entry under root, symlinks not followed."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for name in dirnames + filenames:
            rel = name if rel_dir == "." else rel_dir + "/" + name
            try:
                out[rel] = _sig(os.lstat(os.path.join(dirpath, name)))
            except FileNotFoundError:
                pass
    return out


def snapshot(root, work):
    entries = scan(root)
    keep = os.path.join(work, "keep")
    for rel, sig in entries.items():
        # .git is not copied (it can be large): a change there fails the grading instead.
        if sig[0] != "d" and is_protected(rel) and not rel.startswith(".git/"):
            dst = os.path.join(keep, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.join(root, rel), dst, follow_symlinks=False)
    with open(os.path.join(work, "start.json"), "w") as fh:
        json.dump(entries, fh)


def _remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def _real_parents(root, rel):
    """Make every parent of rel a real directory (a submission may swap one for a symlink)."""
    cur = root
    for part in _parts(rel)[:-1]:
        cur = os.path.join(cur, part)
        if os.path.islink(cur) or (os.path.exists(cur) and not os.path.isdir(cur)):
            os.unlink(cur)
        if not os.path.exists(cur):
            os.mkdir(cur)


def is_shadowing(rel, names, now):
    """A new entry whose top-level module name is one importable from outside the tree,
    in a directory that is not a package (so it may be on sys.path)."""
    parts = _parts(rel)
    mod = module_name(parts[-1], now[rel][0] == "d")
    if mod is None or mod not in names:
        return False
    parent = "/".join(parts[:-1])
    return (parent + "/__init__.py" if parent else "__init__.py") not in now


def plan(start, now, names):
    """(to remove, to restore, git changed) from two scans: pure, so it is unit tested."""
    changed = sorted(p for p in set(start) | set(now) if start.get(p) != now.get(p))
    git_changed = [p for p in changed if p == ".git" or p.startswith(".git/")]
    remove, restore = [], []
    for p in changed:
        if p in git_changed:
            continue
        added = p not in start or start[p][0] != now.get(p, [None])[0]
        if p in now and added and (is_protected(p) or is_shadowing(p, names, now)):
            remove.append(p)
        if p in start and start[p][0] != "d" and is_protected(p):
            restore.append(p)
    # Drop removals inside a removed directory.
    remove = [p for p in remove if not any(p.startswith(q + "/") for q in remove)]
    return remove, restore, git_changed


def restore(root, work, names_file):
    with open(os.path.join(work, "start.json")) as fh:
        start = json.load(fh)
    with open(names_file) as fh:
        names = set(json.load(fh))
    remove, back, git_changed = plan(start, scan(root), names)
    for p in sorted(remove, key=lambda p: -p.count("/")):
        _remove(os.path.join(root, p))
    for p in back:
        dst = os.path.join(root, p)
        _real_parents(root, p)
        _remove(dst)
        shutil.copy2(os.path.join(work, "keep", p), dst, follow_symlinks=False)
    # What changed must now be what it was (a last check that nothing was missed).
    left = [p for p in plan(start, scan(root), names)[0] if p not in remove]
    print(json.dumps({"removed": remove, "restored": back, "git_changed": git_changed[:20], "left": left}))


# ---------------------------------------------------------------- importable names


def importable_names():
    """Top-level modules the runner's Python finds outside /testbed (stdlib, site-packages)."""
    import pkgutil
    names = set(sys.builtin_module_names) | set(getattr(sys, "stdlib_module_names", ()))
    paths = [p for p in sys.path if p and not os.path.abspath(p).startswith("/testbed")
             and not os.path.abspath(p).startswith(os.path.dirname(os.path.abspath(__file__)))]
    names.update(m.name for m in pkgutil.iter_modules(paths))
    return sorted(names)


def main(argv):
    cmd = argv[0] if argv else ""
    if cmd == "snapshot":
        snapshot(argv[1], argv[2])
    elif cmd == "restore":
        restore(argv[1], argv[2], argv[3])
    elif cmd == "names":
        print(json.dumps(importable_names()))
    else:
        sys.exit("usage: forager_tree.py snapshot|restore|names ...")


if __name__ == "__main__":
    main(sys.argv[1:])
