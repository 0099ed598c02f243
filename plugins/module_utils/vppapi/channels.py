# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply loop's channels through vpp_papi (see applier.py; the direct wire path's channel
is wire.WireChannel).

``PapiChannel`` pipelines through vpp_papi's asynchronous send (``_call_vpp_async``, the
primitive its own blocking calls are built on) and ``read_blocking``; ``PapiCallChannel``
makes one blocking call per op, for a single op and for a vpp_papi without that primitive.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppFeatureError
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.applier import ChannelLost
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.connection import DEFAULT_TIMEOUT, VPPIOError


class PapiChannel:
    """Requests sent with vpp_papi's ``_call_vpp_async``, replies read with ``read_blocking``
    (both go through vpp_papi's reader thread)."""

    batched = False

    def __init__(self, papi: Any, ops: Sequence[Any]) -> None:
        self.papi = papi
        self.timeout = getattr(papi, "read_timeout", DEFAULT_TIMEOUT)
        self.sent = 0
        self.prepared = self._prepare(papi, ops)

    @staticmethod
    def available(papi: Any) -> bool:
        """Whether this vpp_papi has the asynchronous send primitive."""
        return hasattr(papi, "_call_vpp_async") and hasattr(papi, "read_blocking")

    @staticmethod
    def _prepare(papi: Any, ops: Sequence[Any]) -> List[Tuple[Any, int, dict]]:
        """(message definition, message id, kwargs) per op."""
        prepared = []
        ids: Dict[str, Tuple[Any, int]] = {}
        for op in ops:
            name, kwargs = op.api_call()
            if name not in ids:
                msg = papi.messages.get(name)
                index = papi.transport.get_msg_index(name + "_" + msg.crc[2:]) if msg is not None else 0
                if index <= 0:
                    raise VppFeatureError("VPP does not offer the API message %s" % name, missing=[name])
                ids[name] = (msg, index)
            msg, index = ids[name]
            prepared.append((msg, index, kwargs))
        return prepared

    def send(self, index: int) -> int:
        msg, msg_id, kwargs = self.prepared[index]
        try:
            context = self.papi._call_vpp_async(msg_id, msg, **kwargs)
        except (OSError, VPPIOError) as exc:
            raise ChannelLost(str(exc)) from exc
        self.sent += 1
        return context

    def flush(self) -> None:
        pass

    def receive(self) -> Optional[Tuple[int, int]]:
        try:
            reply = self.papi.read_blocking(timeout=self.timeout)
        except (OSError, VPPIOError) as exc:
            raise ChannelLost(str(exc)) from exc
        if reply is None:
            raise ChannelLost("no reply within %ss" % self.timeout)
        context = getattr(reply, "context", None)
        return None if context is None else (context, reply.retval)


class PapiCallChannel:
    """One blocking vpp_papi call per op (the loop runs it with a window of 1): send makes the
    call, receive hands over its reply. The op's index serves as its context."""

    batched = False

    def __init__(self, api: Any, ops: Sequence[Any]) -> None:
        self.api = api
        self.ops = ops
        self.sent = 0
        self.functions: Dict[str, Any] = {}
        self.reply: Optional[Tuple[int, int]] = None

    def send(self, index: int) -> int:
        name, kwargs = self.ops[index].api_call()
        function = self.functions.get(name)
        if function is None:
            function = self.functions[name] = getattr(self.api, name)
        self.sent += 1
        try:
            reply = function(**kwargs)
        except (OSError, VPPIOError) as exc:
            raise ChannelLost(str(exc)) from exc
        self.reply = (index, reply.retval)
        return index

    def flush(self) -> None:
        pass

    def receive(self) -> Optional[Tuple[int, int]]:
        reply, self.reply = self.reply, None
        return reply
