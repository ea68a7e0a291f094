"""`make test`: a private redis-server, then pytest with the given arguments."""

from __future__ import annotations

import os
import subprocess
import sys

from tools.services import redis_server


def main(argv: list[str]) -> int:
    os.environ.setdefault("BERTH_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_test")
    with redis_server() as url:
        print(f"[berth test] redis-server for this run at {url.split('@')[-1]}", flush=True)
        env = {**os.environ, "REDIS_URL": url}
        return subprocess.call([sys.executable, "-m", "pytest", *argv], env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
