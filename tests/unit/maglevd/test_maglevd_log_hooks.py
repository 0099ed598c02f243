"""Every way a Python process writes to stderr becomes a JSON line once maglevd's hooks are in.

A child process installs the hooks as maglevd does, then does each thing that would otherwise
print text: a warning, another library's logger, a failed thread, an exception in __del__,
"Future exception was never retrieved", a failed loop callback, a raw stderr write, and finally
an uncaught exception."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from ansible_collections.vpp.maglev.tests.helpers.paths import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT / ".build" / "collections")}

SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, logging, sys, threading, warnings
    from ansible_collections.vpp.maglev.maglevd import log as logs

    setup = logs.LogSetup("info")
    logs.install_process_hooks(setup.stdout.stream)
    logs.event("begin")
    warnings.warn("an old API", DeprecationWarning, stacklevel=1)
    warnings.simplefilter("always")
    warnings.warn("careful")
    logging.getLogger("aiohttp.server").error("Error handling request", exc_info=ValueError("boom"))
    thread = threading.Thread(target=lambda: 1 / 0, name="worker")
    thread.start(); thread.join()

    class Bad:
        def __del__(self):
            raise RuntimeError("in __del__")
    Bad(); gc.collect()

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(logs.asyncio_exception_handler)
        future = loop.create_future()
        future.set_exception(OSError("never retrieved"))
        del future
        gc.collect()
        loop.call_soon(lambda: 1 / 0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    asyncio.run(main())
    print("a stray line\\nand another", file=sys.stderr)
    sys.stderr.write("no newline at the end")
    sys.stderr.flush()
    logs.event("end")
    raise KeyError("uncaught")
    """
)


@pytest.mark.timeout(30)
def test_everything_written_is_a_json_line():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=ENV, timeout=20, check=False
    )
    assert result.stderr == "", result.stderr  # nothing left on stderr at all
    records = []
    for line in result.stdout.splitlines():
        records.append(json.loads(line))  # raises on any line that is not JSON
    events = [r["event"] for r in records]
    assert events[0] == "begin" and "end" in events
    warnings = [r for r in records if r["event"] == "warning"]
    assert any("careful" in r["message"] for r in warnings), records
    library = [r for r in records if r["event"] == "library-log"]
    assert library and library[0]["logger"] == "aiohttp.server" and "boom" in library[0]["error"]
    unhandled = {r["where"]: r for r in records if r["event"] == "unhandled-exception"}
    assert "ZeroDivisionError" in unhandled["thread"]["error"] and unhandled["thread"]["thread"] == "worker"
    assert "in __del__" in unhandled["unraisable"]["error"]
    asyncio_errors = [r for r in records if r["event"] == "unhandled-exception" and r["where"] == "asyncio"]
    messages = " ".join(r["message"] for r in asyncio_errors)
    assert "never retrieved" in messages and any("ZeroDivisionError" in (r["error"] or "") for r in asyncio_errors)
    stray = [r["message"] for r in records if r["event"] == "stderr"]
    assert stray == ["a stray line", "and another", "no newline at the end"]
    assert "KeyError: 'uncaught'" in unhandled["main"]["error"]
    assert result.returncode == 1
