"""Recipe: how to turn one repository into a tested image (a TOML file, validated here)."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forager.errors import RecipeError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """Exactly one of github, git or path. github and git sources are pinned by commit."""

    github: str | None = Field(None, description="owner/name on GitHub")
    git: str | None = Field(None, description="any git URL git can clone")
    path: str | None = Field(None, description="a local directory, relative to the recipe file")
    commit: str | None = Field(None, description="full or abbreviated commit to pin")
    ref: str | None = Field(None, description="branch or tag used only to resolve a missing commit")
    history: Literal["squash", "full"] = "squash"

    @field_validator("github")
    @classmethod
    def _owner_name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", v):
            raise ValueError("must look like 'owner/name'")
        return v

    @field_validator("commit")
    @classmethod
    def _hex(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[0-9a-fA-F]{7,40}", v):
            raise ValueError("must be a hexadecimal commit id (7 to 40 digits)")
        return v.lower() if v else v

    @model_validator(mode="after")
    def _exactly_one(self) -> "Source":
        given = [k for k in ("github", "git", "path") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of github, git or path")
        return self

    @property
    def kind(self) -> str:
        return "github" if self.github else "git" if self.git else "path"

    def clone_url(self) -> str:
        if self.github:
            return f"https://github.com/{self.github}.git"
        assert self.git
        return self.git


class TestSpec(_Strict):
    __test__ = False  # not a pytest test class, despite the name
    framework: Literal["pytest", "unittest"] = "pytest"
    command: str = Field("python -m pytest", description="the runner; test ids or paths are appended")
    paths: list[str] = Field(default_factory=list, description="what the whole suite is (e.g. ['tests'])")
    timeout: int = Field(900, gt=0, description="seconds for one whole-suite run")


class Validation(_Strict):
    runs: int = Field(3, ge=1, le=20)
    min_pass_ratio: float = Field(0.5, ge=0, le=1)
    min_passed: int = Field(1, ge=1)


class Recipe(_Strict):
    name: str
    source: Source
    python: str = "3.11"
    apt: list[str] = []
    install: list[str] = Field(default_factory=lambda: ["pip install -e ."])
    env: dict[str, str] = {}
    build_timeout: int = Field(1800, gt=0, description="seconds for the install step")
    test: TestSpec = TestSpec()
    validation: Validation = Validation()

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.fullmatch(v):
            raise ValueError("must be lowercase letters, digits, '.', '_' or '-' (at most 64)")
        return v

    @field_validator("python")
    @classmethod
    def _python(cls, v: str) -> str:
        if not re.fullmatch(r"3\.\d{1,2}", v):
            raise ValueError("must be a Python minor version such as '3.11'")
        return v

    def content_hash(self) -> str:
        """Hash of everything in the recipe that shapes the image (not where the file lives)."""
        data = self.model_dump(mode="json")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class LoadedRecipe(BaseModel):
    """A recipe with the file it came from (local paths resolve against that file)."""

    recipe: Recipe
    file: Path

    def source_dir(self) -> Path | None:
        if self.recipe.source.path is None:
            return None
        return (self.file.parent / self.recipe.source.path).resolve()


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"field '{where}': {msg}{more}"


def load_recipe(path: str | Path) -> LoadedRecipe:
    """Read and validate a recipe; errors are one line naming the file and the field."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise RecipeError(f"{p}: no such recipe file") from None
    except OSError as exc:
        raise RecipeError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RecipeError(f"{p}: not valid TOML ({exc})") from None
    data.setdefault("name", p.stem)
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise RecipeError(f"{p}: {_describe(exc)}") from None
    loaded = LoadedRecipe(recipe=recipe, file=p.resolve())
    src = loaded.source_dir()
    if src is not None and not src.is_dir():
        raise RecipeError(f"{p}: field 'source.path': no directory at {src}")
    return loaded
