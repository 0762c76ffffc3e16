"""Network namespaces with only loopback, for tests that prove nothing leaves the machine."""

from __future__ import annotations

import functools
import shutil
import subprocess


@functools.cache
def namespace_problem() -> str | None:
    """Why this machine cannot make a network namespace with ``unshare --net`` (and bring its ``lo``
    up with ``ip``), or ``None`` when it can."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare (util-linux) and ip (iproute2) to make a network namespace"
    done = subprocess.run(
        ["unshare", "--net", "--", "ip", "link", "set", "lo", "up"], capture_output=True, text=True
    )
    if done.returncode != 0:
        return f"this machine cannot make a network namespace: {done.stderr.strip()}"
    return None
