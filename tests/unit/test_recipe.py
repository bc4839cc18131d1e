"""Recipe loading: valid recipes parse; each mistake is one line naming the file and the field."""

from pathlib import Path

import pytest

from forager.errors import RecipeError
from forager.records.recipe import load_recipe


def write(tmp_path: Path, text: str, name: str = "r.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_github_recipe_with_defaults(tmp_path):
    r = load_recipe(write(tmp_path, '[source]\ngithub = "pallets/itsdangerous"\ncommit = "ABCDEF1"\n')).recipe
    assert r.name == "r" and r.python == "3.11" and r.source.commit == "abcdef1"
    assert r.test.framework == "pytest" and r.validation.runs == 3 and r.install == ["pip install -e ."]


def test_local_path_resolves_against_the_recipe_file(tmp_path):
    (tmp_path / "src").mkdir()
    loaded = load_recipe(write(tmp_path, '[source]\npath = "src"\n'))
    assert loaded.source_dir() == (tmp_path / "src").resolve()


def test_content_hash_changes_with_content_not_location(tmp_path):
    a = load_recipe(write(tmp_path, '[source]\ngit = "https://x/y.git"\ncommit = "1234567"\n', "a.toml"))
    b = load_recipe(write(tmp_path, 'name = "a"\n[source]\ngit = "https://x/y.git"\ncommit = "1234567"\n', "b.toml"))
    c = load_recipe(write(tmp_path, 'name = "a"\n[source]\ngit = "https://x/y.git"\ncommit = "7654321"\n', "c.toml"))
    assert a.recipe.content_hash() == b.recipe.content_hash() != c.recipe.content_hash()


@pytest.mark.parametrize("text, field", [
    ('[source]\ngithub = "not a repo"\n', "source.github"),
    ('[source]\ngithub = "a/b"\ncommit = "xyz"\n', "source.commit"),
    ('[source]\ngithub = "a/b"\npath = "."\n', "source"),
    ('python = "three"\n[source]\ngithub = "a/b"\n', "python"),
    ('[source]\ngithub = "a/b"\n[test]\nframework = "nose"\n', "test.framework"),
    ('[source]\ngithub = "a/b"\n[test]\ntimeout = -1\n', "test.timeout"),
    ('[source]\ngithub = "a/b"\ninstal = ["x"]\n', "source.instal"),
    ('name = "Bad Name"\n[source]\ngithub = "a/b"\n', "name"),
    ('[source]\npath = "missing-dir"\n', "source.path"),
    ('install = ["pip install ."]\n', "source"),
])
def test_invalid_recipe_names_file_and_field(tmp_path, text, field):
    path = write(tmp_path, text)
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: field '{field}'"), msg


def test_unreadable_toml_and_missing_file(tmp_path):
    with pytest.raises(RecipeError, match="not valid TOML"):
        load_recipe(write(tmp_path, "[source\n"))
    with pytest.raises(RecipeError, match="no such recipe file"):
        load_recipe(tmp_path / "nope.toml")
