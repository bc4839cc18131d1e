"""The GPUs on this machine, as nvidia-smi reports them."""

from __future__ import annotations

import shutil
import subprocess


def detect() -> list[float]:
    """Memory of each GPU in GiB; empty when there is no NVIDIA GPU (or no nvidia-smi)."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [float(x) / 1024 for x in out.split() if x.strip().replace(".", "").isdigit()]
