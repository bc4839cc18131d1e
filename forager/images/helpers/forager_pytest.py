"""Forager's pytest launcher (in-container helper): pytest started isolated from the working directory.

`python -m pytest` puts the working directory first on sys.path, so a `pytest.py` (or
`_pytest/`, `pluggy/`, an entry point in a `*.dist-info/`) in /testbed would run instead of,
or inside, pytest. Run as a script, sys.path[0] is this helpers directory (Forager's plugins);
the working directory goes last, so tests that import the repository from it still work and
nothing in it shadows an installed module. Unlike Python 3.11's -P, this works on every Python 3.

  forager_pytest.py [pytest arguments]      run pytest (the caller turns plugin autoload off and
                                            names each recorded plugin with -p)
  forager_pytest.py --forager-list-plugins  print, as a JSON list, the pytest11 entry points
                                            that autoload would load here (see list_plugins)
"""

import json
import os
import sys

_cwd = os.getcwd()
sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != _cwd]
sys.path.append(_cwd)


def list_plugins():
    """Names for `-p`. An entry point named like a standard module (pytest-socket's `socket`) is
    named by its module instead: `-p socket` would make pytest warn that it cannot
    rewrite `socket`, an error under `filterwarnings = error`."""
    from importlib import metadata
    taken = set(getattr(sys, "stdlib_module_names", sys.modules))  # Python < 3.10: what is imported
    names = set()
    for dist in metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == "pytest11":
                names.add(ep.value.split(":")[0].strip() if ep.name in taken else ep.name)
    return sorted(names)


if __name__ == "__main__":
    if sys.argv[1:] == ["--forager-list-plugins"]:
        print(json.dumps(list_plugins()))
        sys.exit(0)
    import pytest
    # console_main (pytest >= 5.3) also handles a closed stdout; older pytest has main only.
    sys.exit(getattr(pytest, "console_main", pytest.main)())
