"""maglevd's web dashboard (docs/dashboard.md): server.py (the `--web-addr` listener), routes.py
(what it answers), access.py (who may read, who may act), headers.py (security headers),
assets.py (the page's files in static/)."""

from .server import WebDashboard

__all__ = ["WebDashboard"]
