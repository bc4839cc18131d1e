"""Which Python a recipe gets: the one Forager prefers, or else the nearest one the project allows."""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from forager.recipes.inference.evidence import Evidence, Fact

# Pythons Forager can give an image with no registry: Debian bullseye, bookworm and trixie.
AVAILABLE = ("3.9", "3.11", "3.13")
PREFERRED = "3.11"


def _minor(v: str) -> int:
    return int(v.split(".")[1])


def allowed(ev: Evidence, version: str) -> bool:
    if ev.requires_python is None:
        return True
    try:
        spec = SpecifierSet(ev.requires_python.value.replace(" ", ""))
    except InvalidSpecifier:
        return True
    return spec.contains(f"{version}.0", prereleases=True) or spec.contains(f"{version}.99", prereleases=True)


def choose_python(ev: Evidence, available: tuple[str, ...] = AVAILABLE) -> Fact:
    """The preferred version when allowed (by requires-python, and by the classifiers and CI matrix
    when they list versions); else the allowed version nearest to it."""
    listed = {v for v in ev.classifier_pythons} | {f.value for f in ev.workflow_pythons}
    ok = [v for v in available if allowed(ev, v)]
    tested = [v for v in ok if v in listed]
    pool = tested or ok or list(available)
    pick = min(pool, key=lambda v: (abs(_minor(v) - _minor(PREFERRED)), -_minor(v)))
    why = []
    if ev.requires_python:
        why.append(f"requires-python {ev.requires_python.value!r} ({ev.requires_python.origin})")
    if tested:
        why.append("listed in classifiers or the CI matrix")
    reason = f"{pick}: " + ("; ".join(why) if why else "no constraint found, Forager's default")
    return Fact(value=pick, origin=reason)
