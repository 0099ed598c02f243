"""The control interface: JSON lines on ``<socket>.ctl``, one request -> one response.

Every request is an object with a ``cmd``; every response is ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. docs/vppsim.md lists the commands.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Dict

from .faults import FaultError, make_fail_rule, non_negative
from .server import Simulator
from .traffic_command import TrafficError
from .traffic_command import run as run_traffic


class ControlError(ValueError):
    pass


def _matcher(message: Any, match: Any, since: int) -> Callable[[Dict[str, Any]], bool]:
    if message is not None and not isinstance(message, str):
        raise ControlError("wait.message must be a message name, got %r" % (message,))
    if not isinstance(match, dict):
        raise ControlError("wait.match must be an object of argument values, got %r" % (match,))

    def same(want: Any, got: Any) -> bool:
        if want == got:
            return True
        if isinstance(want, dict) and isinstance(got, dict):
            return all(k in got and same(v, got[k]) for k, v in want.items())
        return str(want) == str(got)

    def check(entry: Dict[str, Any]) -> bool:
        if entry["seq"] <= since or (message is not None and entry["message"] != message):
            return False
        args = entry["args"]
        return all(k in args and same(v, args[k]) for k, v in match.items())

    return check


class Control:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    line = await reader.readline()
                except ValueError:
                    # Longer than the stream's limit (64 KiB): no real command is; answer and
                    # drop the connection rather than leave an unretrieved exception.
                    writer.write(b'{"ok": false, "error": "control line longer than 64 KiB"}\n')
                    await writer.drain()
                    break
                if not line:
                    break
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise ControlError("a request must be a JSON object with a 'cmd'")
                    response = await self.execute(request)
                except (ControlError, FaultError) as err:
                    response = {"ok": False, "error": str(err)}
                except json.JSONDecodeError as err:
                    response = {"ok": False, "error": "request is not valid JSON: %s" % err}
                writer.write(json.dumps(response).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def execute(self, request: Dict[str, Any]) -> Dict[str, Any]:
        cmd = request.get("cmd")
        method = getattr(self, "cmd_%s" % cmd, None) if isinstance(cmd, str) else None
        if method is None:
            names = sorted(n[4:] for n in dir(self) if n.startswith("cmd_"))
            raise ControlError("unknown cmd %r; allowed: %s" % (cmd, ", ".join(names)))
        result = method(request)
        if asyncio.iscoroutine(result):
            result = await result
        return {"ok": True, **result}

    # -- commands ----------------------------------------------------------------------------

    def cmd_ping(self, request: Dict[str, Any]) -> Dict[str, Any]:
        return {"pid": self.sim.pid, "vpp_version": self.sim.p.name}

    def cmd_state(self, request: Dict[str, Any]) -> Dict[str, Any]:
        return {"state": self.sim.state()}

    def cmd_stats(self, request: Dict[str, Any]) -> Dict[str, Any]:
        return self.sim.stats_json()

    def cmd_reset_stats(self, request: Dict[str, Any]) -> Dict[str, Any]:
        self.sim.stats.clear()
        return self.sim.stats_json()

    def cmd_calls(self, request: Dict[str, Any]) -> Dict[str, Any]:
        since = request.get("since", 0)
        limit = request.get("limit", 1000)
        message = request.get("message")
        if not isinstance(since, int) or not isinstance(limit, int) or limit < 0:
            raise ControlError("calls.since and calls.limit must be integers >= 0")
        rows = [c for c in self.sim.log.entries if c["seq"] > since and (message is None or c["message"] == message)]
        return {"calls": rows[-limit:] if limit else [], "seq": self.sim.log.seq}

    async def cmd_wait(self, request: Dict[str, Any]) -> Dict[str, Any]:
        timeout = request.get("timeout", 10)
        since = request.get("since", 0)
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ControlError("wait.timeout must be a number of seconds >= 0, got %r" % (timeout,))
        if not isinstance(since, int):
            raise ControlError("wait.since must be a call sequence number, got %r" % (since,))
        matcher = _matcher(request.get("message"), request.get("match", {}), since)
        for entry in self.sim.log.entries:
            if matcher(entry):
                return {"call": entry}
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        waiter = (matcher, future)
        self.sim.log.waiters.append(waiter)
        try:
            entry = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            return {"ok": False, "error": "timeout: no matching call within %ss" % timeout, "seq": self.sim.log.seq}
        finally:
            self.sim.log.waiters.remove(waiter)
        return {"call": entry}

    def cmd_restart(self, request: Dict[str, Any]) -> Dict[str, Any]:
        self.sim.restart()
        return {"restarts": self.sim.restarts}

    def cmd_faults(self, request: Dict[str, Any]) -> Dict[str, Any]:
        return {"faults": self.sim.faults.to_json()}

    def cmd_set_fault(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """Any of delay_ms, drop_after (null clears), fail ({message, nth, retval} or a list)."""
        faults = self.sim.faults
        known = {"cmd", "delay_ms", "drop_after", "fail"}
        unknown = set(request) - known
        if unknown:
            raise ControlError("set_fault: unknown field(s) %s; allowed: delay_ms, drop_after, fail" % sorted(unknown))
        rules = []
        if "fail" in request:
            specs = request["fail"]
            specs = specs if isinstance(specs, list) else [specs]
            for spec in specs:
                if not isinstance(spec, dict):
                    raise FaultError("fail must be {message, nth, retval} or a list of them, got %r" % (spec,))
                rule = make_fail_rule(spec.get("message"), spec.get("nth"), spec.get("retval"))
                self.validate_fail_message(rule.message)
                rules.append(rule)
        if "delay_ms" in request:
            faults.delay_ms = non_negative("delay_ms", request["delay_ms"])
        if "drop_after" in request:
            value = request["drop_after"]
            faults.drop_after = None if value is None else int(non_negative("drop_after", value))
            faults.drop_epoch += 1
        if "fail" in request:
            faults.fail = rules
        return {"faults": faults.to_json()}

    def validate_fail_message(self, message: str) -> None:
        if message not in self.sim.handlers or message + "_reply" not in self.sim.p.ids:
            allowed = sorted(n for n in self.sim.handlers if n + "_reply" in self.sim.p.ids)
            raise FaultError("fail.message %r has no reply with a retval; allowed: %s" % (message, ", ".join(allowed)))

    def cmd_clear_faults(self, request: Dict[str, Any]) -> Dict[str, Any]:
        faults = self.sim.faults
        faults.delay_ms, faults.drop_after, faults.fail = 0.0, None, []
        faults.drop_epoch += 1
        return {"faults": faults.to_json()}

    def cmd_advance_clock(self, request: Dict[str, Any]) -> Dict[str, Any]:
        seconds = request.get("seconds")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError("advance_clock.seconds must be a number >= 0, got %r" % (seconds,))
        self.sim.lb.advance(seconds)
        return {"uptime": self.sim.lb.now()}

    def cmd_gc(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """Run the global garbage collection now (force: ignore the 60 s per-VIP throttle)."""
        self.sim.lb.garbage_collection(force=bool(request.get("force", False)))
        return {"uptime": self.sim.lb.now()}

    def cmd_traffic(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """Simulated flows through the lb node (docs/vppsim.md#traffic)."""
        try:
            answer = run_traffic(self.sim.lb, request)
        except TrafficError as err:
            raise ControlError(str(err)) from None
        self.sim.sync_stats()
        return answer

    def cmd_set_interfaces(self, request: Dict[str, Any]) -> Dict[str, Any]:
        values = request.get("interfaces")
        if not isinstance(values, list) or not all(isinstance(v, int) and v >= 0 for v in values):
            raise ControlError("set_interfaces.interfaces must be a list of sw_if_index integers")
        self.sim.interfaces = tuple(values)
        self.sim.lb.interfaces = set(values)
        return {"interfaces": sorted(values)}
