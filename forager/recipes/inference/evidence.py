"""Evidence: what a repository's own files say about how to install and test it, with where each
fact came from (shown to the user as the recipe's provenance)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Fact(BaseModel):
    """One value and the file (and section) it was read from."""

    value: str
    origin: str


class PytestConfig(BaseModel):
    origin: str = ""
    addopts: list[str] = []
    testpaths: list[str] = []
    required_plugins: list[str] = []


class Evidence(BaseModel):
    files: list[str] = Field(default_factory=list, description="every path in the tree at the commit")
    requires_python: Fact | None = None
    classifier_pythons: list[str] = []
    build_backend: Fact | None = None
    build_requires: list[str] = []
    dependencies: list[Fact] = []
    extras: dict[str, list[str]] = {}
    extras_origin: str = ""
    groups: dict[str, list[str]] = {}
    groups_origin: str = ""
    requirement_files: list[str] = []
    pytest: PytestConfig | None = None
    tox_deps: list[Fact] = []
    tox_commands: list[Fact] = []
    tox_setenv: dict[str, str] = {}
    tox_extras: list[str] = []
    nox_installs: list[Fact] = []
    workflow_pythons: list[Fact] = []
    workflow_installs: list[Fact] = []
    workflow_tests: list[Fact] = []
    workflow_prepares: list[Fact] = Field(default_factory=list, description="repository scripts a testing CI job runs before its tests")
    runs_tests: bool = Field(False, description="while reading one workflow job: it has run a test command")
    apt: list[Fact] = []
    scm_version: Fact | None = None
    version_tag: str | None = Field(None, description="nearest git tag at the commit, for scm-versioned builds")
    commit_date: str | None = None

    def merge(self, other: "Evidence") -> "Evidence":
        """Fields `other` sets win where this one has nothing; lists and dicts are joined."""
        data = self.model_dump()
        for name, value in other.model_dump(exclude_defaults=True).items():
            mine = data.get(name)
            if isinstance(mine, list):
                data[name] = mine + [v for v in value if v not in mine]
            elif isinstance(mine, dict) and isinstance(value, dict):
                data[name] = {**value, **mine}
            elif mine in (None, "", [], {}):
                data[name] = value
        return Evidence.model_validate(data)
