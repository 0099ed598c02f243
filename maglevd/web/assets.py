"""The page's own files, shipped in this package (static/): read once, served from memory.

No CDN, no build step, no framework: index.html, dashboard.js and dashboard.css are the whole
page (docs/dashboard.md). Each answer carries an ETag, so a reload costs a 304.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"
# URL path -> (file in static/, content type)
FILES: Dict[str, tuple] = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def load_assets(directory: Path = STATIC) -> Dict[str, Asset]:
    """URL path -> Asset; a missing file is an OSError at start, not a 404 later."""
    assets = {}
    for path, (name, content_type) in FILES.items():
        body = (directory / name).read_bytes()
        assets[path] = Asset(body, content_type, '"%s"' % hashlib.sha256(body).hexdigest()[:32])
    return assets


class AssetRoutes:
    def __init__(self, assets: Dict[str, Asset]) -> None:
        self.assets = assets

    @property
    def paths(self) -> frozenset:
        return frozenset(self.assets)

    def routes(self) -> list:
        return [web.get(path, self.serve) for path in self.assets]

    async def serve(self, request: web.Request) -> web.Response:
        asset = self.assets[request.path]
        headers = {"ETag": asset.etag, "Cache-Control": "no-cache"}
        if request.headers.get("If-None-Match") == asset.etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=asset.body, headers={**headers, "Content-Type": asset.content_type})
