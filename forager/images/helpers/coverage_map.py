"""In-container helper: turn a coverage data file into {file: {line: [contexts]}} JSON.

Usage: python coverage_map.py DATA_FILE ROOT OUT_JSON
Only files under ROOT are kept, with paths relative to ROOT; the empty context is dropped.
Suffixed data files beside DATA_FILE (DATA_FILE.host.pid.rand, written when something turned
parallel mode on, e.g. a subprocess started by a test) are merged in.
"""

import glob
import json
import os
import sys

import coverage


def main():
    data_file, root, out = sys.argv[1:4]
    data = coverage.CoverageData(basename=data_file)
    data.read()
    for extra in sorted(glob.glob(glob.escape(data_file) + ".*")):
        part = coverage.CoverageData(basename=extra)
        part.read()
        data.update(part)
    result = {}
    for path in data.measured_files():
        if not path.startswith(root.rstrip("/") + "/"):
            continue
        by_line = data.contexts_by_lineno(path)
        lines = {str(n): sorted(c for c in ctxs if c) for n, ctxs in by_line.items()}
        lines = {n: c for n, c in lines.items() if c}
        if lines:
            result[os.path.relpath(path, root)] = lines
    with open(out, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()
