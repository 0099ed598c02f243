"""static: always up, decided on the first iteration without any network traffic."""

from __future__ import annotations

from .base import IPAddress, Probe
from .result import ProbeResult, passed


class StaticProbe(Probe):
    type = "static"

    def __init__(self, address: IPAddress) -> None:
        super().__init__(address, 1.0)

    async def run(self) -> ProbeResult:
        return passed("STATIC", "static")
