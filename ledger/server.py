"""Serving the app with gunicorn, embedded so that `exchange-ledger serve` is one process tree."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from api import create_app

        return create_app()


def run_server(host: str, port: int, workers: int) -> None:
    """Run gunicorn until it is stopped (SIGTERM finishes requests in flight)."""
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "timeout": 60,
            "graceful_timeout": 30,
            "accesslog": "-",
            "errorlog": "-",
            "preload_app": False,
        }
    ).run()
