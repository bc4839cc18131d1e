from forager.testsuite.testfiles import is_protected, is_test_path


def test_test_paths():
    for p in ("tests/test_a.py", "pkg/tests/helpers.py", "test_x.py", "a/b_test.py", "conftest.py", "src/conftest.py"):
        assert is_test_path(p), p
    for p in ("pkg/core.py", "pkg/testing_utils.py", "setup.py"):
        assert not is_test_path(p), p


def test_protected_includes_configuration_and_startup_hooks():
    for p in ("pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "sitecustomize.py", "x/evil.pth"):
        assert is_protected(p), p
    assert not is_protected("pkg/core.py")
