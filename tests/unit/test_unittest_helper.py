"""Forager's in-container unittest runner, run here with this Python on a small suite."""

import subprocess
import sys

from forager.paths import PACKAGE_DIR
from forager.testsuite import junit

SUITE = '''
import unittest

class Sub(unittest.TestCase):
    def test_sub(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 2)

    def test_ok(self):
        pass

class Broken(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("no fixture")

    def test_never(self):
        pass
'''


def test_subtest_failures_and_setupclass_errors(tmp_path):
    (tmp_path / "test_mod.py").write_text(SUITE)
    xml = tmp_path / "out" / "j.xml"
    subprocess.run([sys.executable, str(PACKAGE_DIR / "images/helpers/unittest_junit.py"), "--junit", str(xml), "."],
                   cwd=tmp_path, capture_output=True)
    got = junit.parse(xml.read_bytes(), junit.dotted_id)
    assert got == {"test_mod.Sub.test_sub": "failed", "test_mod.Sub.test_ok": "passed",
                   "test_mod.Broken.setUpClass": "error"}
