"""Stage 1 against the real engine: base image, build, no-op rebuild, validation, failures."""

from __future__ import annotations

import json

import pytest

from forager.containers import Sandbox
from forager.images.pipeline import build_one
from forager.records.manifest import load
from tests.conftest import EXAMPLE_RECIPE, forager

pytestmark = pytest.mark.docker


def test_base_image_has_python_git_and_helpers(base_image):
    with Sandbox.start(base_image, kind="test") as box:
        out = box.exec("python3 --version; git --version; /opt/venv/bin/python -m pytest --version; "
                       "ls /opt/forager/helpers; readlink -f /opt/forager/python", workdir="/").output
    assert "Python 3.11" in out and "git version" in out and "pytest" in out
    assert "shell_server.py" in out and "unittest_junit.py" in out


def test_bootstrap_command_is_a_noop_when_the_base_exists(base_image):
    res = forager("base", "bootstrap")
    assert res.returncode == 0, res.stderr
    assert base_image in res.stderr


def test_example_builds_validates_and_flags_the_flaky_test(example_manifest, images_dir):
    m = example_manifest
    assert m.status == "ok" and m.python_version.startswith("3.11")
    assert m.flaky == ["tests/test_flaky.py::test_state_leaks_between_runs"]
    assert not any(t.startswith("tests/test_flaky.py") for t in m.baseline)
    assert len(m.passing()) >= 60 and len(m.runs) == 3
    assert "pytest" in {k.lower() for k in m.packages}
    on_disk = json.loads((images_dir / "minilib.json").read_text())
    assert on_disk["image_tag"] == m.image_tag and on_disk["content_hash"] == m.content_hash


def test_unchanged_recipe_rebuilds_as_a_noop(example_manifest, images_dir):
    again = build_one(EXAMPLE_RECIPE, images_dir)
    assert again.status == "up-to-date"
    assert again.manifest.image_id == example_manifest.image_id


def test_repository_gets_one_squashed_commit_and_a_clean_tree(example_manifest):
    with Sandbox.start(example_manifest.image_tag, kind="test") as box:
        log = box.exec("git log --oneline | wc -l; git status --porcelain | wc -l").output.split()
    assert log == ["1", "0"]


def _tiny_repo(tmp_path, failing: bool = False):
    src = tmp_path / "tiny"
    (src / "tiny").mkdir(parents=True)
    (src / "tests").mkdir()
    (src / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = '
                                        '"setuptools.build_meta"\n[project]\nname = "tiny"\nversion = "0.1"\n')
    (src / "tiny" / "__init__.py").write_text("def add(a, b):\n    return a + b\n")
    expected = 4 if failing else 3
    (src / "tests" / "test_tiny.py").write_text(f"from tiny import add\n\ndef test_add():\n    assert add(1, 2) == {expected}\n")
    return src


def test_failed_install_is_reported_with_its_log_and_the_others_still_build(tmp_path, base_image, example_manifest):
    _tiny_repo(tmp_path)
    bad = tmp_path / "broken.toml"
    bad.write_text('install = ["pip install this-package-does-not-exist-forager-test==0.0.1"]\n'
                   '[source]\npath = "tiny"\n[test]\npaths = ["tests"]\n')
    out_dir = tmp_path / "images"
    res = forager("build-images", str(bad), str(EXAMPLE_RECIPE), "-o", str(out_dir), "--jobs", "2")
    assert res.returncode == 1
    log = out_dir / "logs" / "broken.build.log"
    assert "broken: failed" in res.stderr and str(log) in res.stderr.replace("\n", "")
    assert "this-package-does-not-exist-forager-test" in log.read_text()
    assert load(out_dir / "minilib.json").status == "ok"
    assert not (out_dir / "broken.json").exists()


def test_suite_with_too_few_passing_tests_is_rejected(tmp_path, base_image):
    _tiny_repo(tmp_path, failing=True)
    recipe = tmp_path / "allfail.toml"
    recipe.write_text('[source]\npath = "tiny"\n[test]\npaths = ["tests"]\n[validation]\nruns = 1\n')
    outcome = build_one(recipe, tmp_path / "images")
    assert outcome.status == "rejected"
    assert "stable passing tests" in outcome.message and "validate.log" in outcome.message
    assert load(tmp_path / "images" / "allfail.json").reject_reason


@pytest.mark.parametrize("text, field", [
    ('[source]\ngithub = "a/b"\n[test]\nframework = "nose"\n', "test.framework"),
    ('[source]\n', "source"),
    ('python = 3.11\n[source]\ngithub = "a/b"\n', "python"),
])
def test_malformed_recipe_is_one_line_naming_file_and_field(tmp_path, text, field):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    res = forager("build-images", str(bad), str(EXAMPLE_RECIPE), "-o", str(tmp_path / "images"))
    assert res.returncode == 2
    assert res.stderr.startswith(f"forager: error: {bad}: field '{field}'") and res.stderr.count("\n") == 1
    assert not (tmp_path / "images").exists()


def test_no_engine_is_one_line_with_what_to_do(tmp_path):
    res = forager("build-images", str(EXAMPLE_RECIPE), env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Docker engine answers" in lines[0] and "docker-up.sh" in lines[0]
