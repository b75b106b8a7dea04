"""The versions a client and the service must agree on: the add-in is built for one xlwings version."""

from __future__ import annotations

from importlib import metadata


def versions() -> dict[str, str]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {"perfeval_xl": version("perfeval-xl"), "xlwings": version("xlwings")}
