"""`docker build` through the SDK, with the whole log written to a file."""

from __future__ import annotations

import json
from pathlib import Path

from docker.errors import APIError
from docker.errors import BuildError as DockerBuildError

from forager.engine import LABEL, client
from forager.errors import BuildError


def build(context: Path, tag: str, log_path: Path, labels: dict[str, str] | None = None,
          network: bool = True) -> str:
    """Build context/Dockerfile as `tag`; returns the image id. Errors name the log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    last_error = None
    image_id = None
    with log_path.open("w") as log:
        try:
            stream = client().api.build(
                path=str(context), tag=tag, rm=True, forcerm=True, decode=True, pull=False,
                labels={LABEL: "1", **(labels or {})},
                network_mode="bridge" if network else "none",
            )
            for chunk in stream:
                if "stream" in chunk:
                    log.write(chunk["stream"])
                elif "error" in chunk:
                    last_error = chunk["error"].strip()
                    log.write(f"ERROR: {last_error}\n")
                elif "aux" in chunk and "ID" in chunk["aux"]:
                    image_id = chunk["aux"]["ID"]
                elif chunk:
                    log.write(json.dumps(chunk) + "\n")
                log.flush()
        except (APIError, DockerBuildError) as exc:
            last_error = str(exc)
            log.write(f"ERROR: {last_error}\n")
    if last_error or image_id is None:
        reason = (last_error or "no image produced").splitlines()[-1][:200]
        raise BuildError(f"building {tag} failed: {reason} (log: {log_path})")
    return image_id
