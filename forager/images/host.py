"""What the host lends to image builds: its CA bundle and its pip index settings."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

CA_CANDIDATES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")


def ca_bundle() -> bytes:
    """The host's CA bundle (so TLS-intercepting proxies work inside builds), or b''."""
    for env in ("FORAGER_CA_BUNDLE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        p = os.environ.get(env)
        if p and Path(p).is_file():
            return Path(p).read_bytes()
    for p in CA_CANDIDATES:
        if Path(p).is_file():
            return Path(p).read_bytes()
    return b""


@functools.lru_cache(maxsize=1)
def _pip_config() -> dict[str, str]:
    try:
        out = subprocess.run(["python3", "-m", "pip", "config", "list"], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    conf = {}
    for line in out.splitlines():
        key, _, val = line.partition("=")
        conf[key.split(".", 1)[-1]] = val.strip().strip("'\"")
    return conf


def _remote_only(urls: str) -> str:
    # Local file:// indexes and wheel folders do not exist inside containers.
    return " ".join(u for u in urls.split() if u.startswith(("http://", "https://")))


def pip_settings() -> dict[str, str]:
    """PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_TRUSTED_HOST a container can use."""
    conf = _pip_config()
    out = {}
    for key, env in (("index-url", "PIP_INDEX_URL"), ("extra-index-url", "PIP_EXTRA_INDEX_URL"),
                     ("trusted-host", "PIP_TRUSTED_HOST")):
        val = os.environ.get(env) or conf.get(key, "")
        val = val if env == "PIP_TRUSTED_HOST" else _remote_only(val)
        if val:
            out[env] = val
    return out
