"""pytest settings in pytest.ini, tox.ini and setup.cfg, and what their addopts need installed."""

from __future__ import annotations

import configparser
import shlex

from forager.recipes.inference.evidence import Evidence, PytestConfig

# Options that only a plugin understands: pytest fails on them when the plugin is missing.
ADDOPT_PLUGINS = {
    "--cov": "pytest-cov", "--cov-report": "pytest-cov", "--cov-config": "pytest-cov", "--no-cov": "pytest-cov",
    "-n": "pytest-xdist", "--numprocesses": "pytest-xdist", "--dist": "pytest-xdist",
    "--benchmark-disable": "pytest-benchmark", "--benchmark-skip": "pytest-benchmark",
    "--timeout": "pytest-timeout", "--doctest-glob": "", "--mypy": "pytest-mypy", "--flake8": "pytest-flake8",
    "--reruns": "pytest-rerunfailures", "--randomly-seed": "pytest-randomly", "-p no:randomly": "pytest-randomly",
    "--asyncio-mode": "pytest-asyncio", "--hypothesis-show-statistics": "hypothesis", "--mpl": "pytest-mpl",
    "--black": "pytest-black", "--isort": "pytest-isort", "--html": "pytest-html", "--snapshot-update": "syrupy",
    "--ruff": "pytest-ruff", "--pylint": "pytest-pylint", "--codeblocks": "pytest-codeblocks",
}
# ini keys that belong to plugins (an unknown key is only a warning, but it says which plugin the suite expects).
INI_PLUGINS = {"asyncio_mode": "pytest-asyncio", "timeout": "pytest-timeout", "mock_use_standalone_module": "pytest-mock",
               "django_settings_module": "pytest-django", "DJANGO_SETTINGS_MODULE": "pytest-django",
               "env": "pytest-env", "trio_mode": "pytest-trio", "flakes-ignore": "pytest-flakes"}


def split_addopts(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        return shlex.split(str(value))
    except ValueError:
        return str(value).split()


def plugins_for(cfg: PytestConfig, ini_keys: list[str] = ()) -> list[str]:
    """Distributions the pytest settings need beyond pytest itself."""
    found = list(cfg.required_plugins)
    for opt in cfg.addopts:
        name = opt.split("=", 1)[0]
        dist = ADDOPT_PLUGINS.get(name)
        if dist and dist not in found:
            found.append(dist)
    for key in ini_keys:
        dist = INI_PLUGINS.get(key)
        if dist and dist not in found:
            found.append(dist)
    return [f for f in found if f]


def parse_ini(text: str) -> configparser.ConfigParser | None:
    """An ini file as setuptools and tox read it (no interpolation, repeated keys allowed), or None."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


def read_ini(text: str, path: str) -> Evidence:
    """[pytest] in pytest.ini/tox.ini, or [tool:pytest] in setup.cfg."""
    parser = parse_ini(text)
    if parser is None:
        return Evidence()
    for section in ("pytest", "tool:pytest"):
        if parser.has_section(section):
            s = parser[section]
            cfg = PytestConfig(origin=f"{path} [{section}]", addopts=split_addopts(s.get("addopts", "")),
                               testpaths=s.get("testpaths", "").split(),
                               required_plugins=s.get("required_plugins", "").split())
            cfg.required_plugins += [p for p in plugins_for(cfg, list(s.keys())) if p not in cfg.required_plugins]
            return Evidence(pytest=cfg)
    return Evidence()
