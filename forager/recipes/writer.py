"""An inferred recipe as ordinary recipe TOML, led by a comment block saying where each choice came
from, so a person can read, edit and pin it."""

from __future__ import annotations

import json

from forager.records.recipe import Recipe, TestSpec, Validation


def _value(v) -> str:
    # JSON strings are valid TOML basic strings (Python never escapes '/').
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        if not v:
            return "[]"
        inner = "".join(f"  {_value(x)},\n" for x in v)
        return f"[\n{inner}]"
    raise TypeError(f"no TOML form for {v!r}")


def _table(name: str, fields: dict) -> str:
    lines = [f"[{name}]"] + [f"{k} = {_value(v)}" for k, v in fields.items() if v is not None]
    return "\n".join(lines) + "\n"


def render(recipe: Recipe, provenance: list[str], header: str) -> str:
    comments = [f"# {header}", "# Inferred by `forager recipe infer` from the repository's own files; where each choice came from:"]
    comments += [f"#   - {line}" for line in provenance]
    top = {"name": recipe.name, "python": recipe.python, "apt": recipe.apt or None, "install": recipe.install,
           "build_timeout": recipe.build_timeout if recipe.build_timeout != Recipe.model_fields["build_timeout"].default
           else None}
    body = "\n".join(f"{k} = {_value(v)}" for k, v in top.items() if v is not None) + "\n"
    src = recipe.source.model_dump(exclude_none=True, exclude_defaults=True)
    parts = ["\n".join(comments) + "\n", body, _table("source", src)]
    if recipe.env:
        parts.append("[env]\n" + "".join(f"{json.dumps(k)} = {_value(v)}\n" for k, v in sorted(recipe.env.items())))
    parts.append(_table("test", recipe.test.model_dump(exclude_defaults=False)
                        if recipe.test != TestSpec() else {"framework": "pytest"}))
    if recipe.validation != Validation():
        parts.append(_table("validation", recipe.validation.model_dump()))
    return "\n".join(parts)
