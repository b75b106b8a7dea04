"""The versions a client and the service must agree on: the add-in is built for one xlwings version."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata


@lru_cache(maxsize=1)  # reading package metadata scans sys.path: once per process
def versions() -> dict[str, str]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {"perfeval_xl": version("perfeval-xl"), "xlwings": version("xlwings")}  # callers copy it (**versions())
