"""maglevd/tasks.py: tasks that survive their exceptions, and the one way to stop tasks."""

from __future__ import annotations

import asyncio
import logging

import pytest
from ansible_collections.vpp.maglev.maglevd import tasks
from ansible_collections.vpp.maglev.maglevd.tasks import cancel_and_wait, keep_running


def test_keep_running_reports_and_restarts_until_the_body_returns():
    crashes = []
    runs = []

    async def body():
        runs.append(1)
        if len(runs) < 3:
            raise ValueError("bug %d" % len(runs))

    asyncio.run(asyncio.wait_for(keep_running(body, crashes.append, pause=0), 10))
    assert len(runs) == 3 and [str(e) for e in crashes] == ["bug 1", "bug 2"]


def test_keep_running_pauses_between_restarts(monkeypatch):
    pauses = []
    real_sleep = asyncio.sleep

    async def sleep(seconds):
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(tasks.asyncio, "sleep", sleep)
    runs = []

    async def body():
        runs.append(1)
        if len(runs) < 3:
            raise ValueError("bug")

    asyncio.run(asyncio.wait_for(keep_running(body, lambda exc: None), 10))
    assert pauses == [tasks.RESTART_PAUSE] * 2 and tasks.RESTART_PAUSE == 0.5


def test_keep_running_lets_cancellation_through():
    crashes = []

    async def main():
        started = asyncio.Event()

        async def body():
            started.set()
            await asyncio.Event().wait()

        task = asyncio.get_running_loop().create_task(keep_running(body, crashes.append, pause=0))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(main(), 10))
    assert crashes == []


def test_cancel_and_wait_logs_a_crashed_workers_exception(caplog):
    async def main():
        async def crash():
            raise ValueError("worker bug")

        async def idle():
            await asyncio.Event().wait()

        crashed = asyncio.get_running_loop().create_task(crash(), name="crasher")
        waiting = asyncio.get_running_loop().create_task(idle(), name="idler")
        await asyncio.sleep(0)  # the crash happens before the stop
        await cancel_and_wait([crashed, waiting], log=logging.getLogger("test.tasks"))
        assert crashed.done() and waiting.cancelled()

    with caplog.at_level(logging.ERROR, logger="test.tasks"):
        asyncio.run(asyncio.wait_for(main(), 10))
    records = [r for r in caplog.records if r.getMessage() == "task-failed"]
    assert len(records) == 1
    assert records[0].fields == {"task": "crasher", "error": "ValueError: worker bug"}
    assert isinstance(records[0].exc_info[1], ValueError)


async def _started_worker(on_cancel, name=None) -> asyncio.Task:
    """A task that waits until cancelled, then runs ``on_cancel()``; returned once it runs."""
    started = asyncio.Event()

    async def worker():
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            await on_cancel()

    task = asyncio.get_running_loop().create_task(worker(), name=name)
    await started.wait()
    return task


def test_cancel_and_wait_logs_an_exception_raised_while_cancelling(caplog):
    async def main():
        async def cleanup_fails():
            raise RuntimeError("cleanup bug")

        task = await _started_worker(cleanup_fails, name="cleaner")
        await cancel_and_wait([task], log=logging.getLogger("test.tasks"))

    with caplog.at_level(logging.ERROR, logger="test.tasks"):
        asyncio.run(asyncio.wait_for(main(), 10))
    assert [r.fields["error"] for r in caplog.records if r.getMessage() == "task-failed"] == [
        "RuntimeError: cleanup bug"
    ]


def test_cancel_and_wait_is_silent_for_cancelled_and_finished_tasks(caplog):
    async def main():
        async def idle():
            await asyncio.Event().wait()

        async def done():
            return None

        tasks_ = [asyncio.get_running_loop().create_task(idle()), asyncio.get_running_loop().create_task(done())]
        await asyncio.sleep(0)
        await cancel_and_wait(tasks_, log=logging.getLogger("test.tasks"))
        await cancel_and_wait([], log=logging.getLogger("test.tasks"))

    with caplog.at_level(logging.DEBUG, logger="test.tasks"):
        asyncio.run(asyncio.wait_for(main(), 10))
    assert caplog.records == []


def test_cancel_and_wait_lets_the_callers_cancellation_through():
    """The caller is cancelled while its workers are still winding down: they are awaited to
    their end, then the caller's CancelledError propagates."""
    ended = []

    async def main():
        release = asyncio.Event()

        async def slow_to_stop():
            await release.wait()  # winding down takes a while
            ended.append("worker")

        worker = await _started_worker(slow_to_stop)
        stopper = asyncio.get_running_loop().create_task(cancel_and_wait([worker], log=logging.getLogger("test.tasks")))
        await asyncio.sleep(0)
        stopper.cancel()
        await asyncio.sleep(0)
        assert not stopper.done()  # still waiting for the worker
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await stopper
        assert worker.cancelled() and ended == ["worker"]

    asyncio.run(asyncio.wait_for(main(), 10))
