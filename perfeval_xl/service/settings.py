"""The service's settings: one dataclass, filled from `perfeval-xl serve` options or PERFEVAL_XL_* variables.

Environment variables serve gunicorn (`gunicorn 'perfeval_xl.service.app:create_app()'`) and service managers, where
there is no command line of ours; the options of `perfeval-xl serve` override them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MB = 2**20
ENV_PREFIX = "PERFEVAL_XL_"


def _default_workers() -> int:
    """One worker more than cores: the server process (HTTP, multipart) takes about a quarter of a core at full load,
    and a worker idles while the server hands it its next file; the extra worker fills those gaps. Measured with
    scripts/load_service.py on 2 cores, 50 clients: 2 workers 271 req/s using 1.80 cores, 3 workers 306 req/s using
    1.95, 4 workers 297 req/s (each worker adds ~38 MB)."""
    return (os.cpu_count() or 1) + 1


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=_default_workers)  # worker processes that read the files (one pool)
    max_body_bytes: int = 50 * MB          # a request body larger than this gets 413 before anything is parsed
    tokens_file: Path | None = None        # one token a line; None: no token needed
    keep_uploads: bool = False             # keep a copy of every upload in uploads_dir (off: nothing is kept)
    uploads_dir: Path = Path("uploads")
    work_dir: Path | None = None           # where a request's files live while it runs (None: the system temp)
    public_url: str | None = None          # the address the add-in should call, when the proxy's differs from ours
    policy: str | None = None              # the bureau's 评分口径 (a shipped name or a .toml path the operator set)
    memory_mb: int = 500                   # per worker process
    seconds: float = 10.0                  # per file
    max_files: int = 1000                  # workbooks in one request (and in one zip)
    max_unzipped_bytes: int = 200 * MB     # what one uploaded zip of workbooks may unpack to

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Settings from PERFEVAL_XL_HOST, _PORT, _WORKERS, _MAX_BODY_MB, _TOKENS_FILE, _KEEP_UPLOADS (a folder),
        _WORK_DIR, _PUBLIC_URL, _POLICY, _MEMORY_MB, _SECONDS; what is unset keeps its default."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        settings = cls()
        if get("HOST"):
            settings.host = get("HOST")
        for name, attr, kind in (("PORT", "port", int), ("WORKERS", "workers", int), ("MEMORY_MB", "memory_mb", int),
                                 ("SECONDS", "seconds", float)):
            if get(name):
                setattr(settings, attr, kind(get(name)))
        if get("MAX_BODY_MB"):
            settings.max_body_bytes = int(float(get("MAX_BODY_MB")) * MB)
        if get("TOKENS_FILE"):
            settings.tokens_file = Path(get("TOKENS_FILE"))
        if get("KEEP_UPLOADS"):
            settings.keep_uploads, settings.uploads_dir = True, Path(get("KEEP_UPLOADS"))
        if get("WORK_DIR"):
            settings.work_dir = Path(get("WORK_DIR"))
        settings.public_url = get("PUBLIC_URL")
        settings.policy = get("POLICY")
        return settings

    def limits(self):
        from .pool import Limits

        return Limits(memory_bytes=self.memory_mb * MB, seconds=self.seconds)
