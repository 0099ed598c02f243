# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vpp_lb_state's inputs, shared by the action plugin (controller), the module (VPP host)
and the filters: the argument spec, the config, backend states, protected VIPs, and the
offline states (rendered, parsed). No Ansible imports and no I/O but reading maglev.yaml.

The failover logic is desired.desired_state + weights; this file only decides which
backend states to feed it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from . import config as config_mod
from .config_model import Config
from .desired import assumed_states, desired_state
from .disruption import plan_disruption
from .lb_model import PROTOCOLS, LbState, VipKey
from .maglevd_client import DEFAULT_SOCKET
from .module_input import ModuleInputError, fail_on_issues
from .planner import STATES as WRITE_STATES
from .planner import PlanError, plan
from .rules.frontend import check_port, check_protocol_port
from .showparse import parse_show_lb_vips, records_to_state
from .views import state_to_config, state_to_dict
from .weights import BackendState

# The planner's states (merged, replaced, overridden, deleted) and the read-only ones.
STATES = WRITE_STATES + ("gathered", "rendered", "parsed")
OFFLINE_STATES = ("rendered", "parsed")
HEALTH_CHOICES = ("assume_up", "maglevd")
RESULT_DETAILS = ("full", "changes")
HEALTH_STATE_NAMES = tuple(state.value for state in BackendState)  # maglevd's health states, for `states:`

# The module's options (the connection options come from common.CONNECTION_SPEC). The action
# plugin validates the same spec on the controller; the module receives `config`, never `src`.
STATE_SPEC: Dict[str, dict] = {
    "config": {"type": "dict"},
    "src": {"type": "path"},
    "state": {"type": "str", "default": "merged", "choices": list(STATES)},
    "health": {"type": "str", "default": "assume_up", "choices": list(HEALTH_CHOICES)},
    "states": {"type": "dict"},
    "maglevd_socket": {"type": "path", "default": DEFAULT_SOCKET},
    "protected": {"type": "list", "elements": "raw", "default": []},
    "flush": {"type": "bool", "default": False},
    "allow_empty": {"type": "bool", "default": False},
    "estimate_disruption": {"type": "bool", "default": True},
    "running_config": {"type": "str"},
    "running_state": {"type": "dict"},
    "render_state": {"type": "str", "default": "replaced", "choices": list(WRITE_STATES)},
    "result_detail": {"type": "str", "default": "changes", "choices": list(RESULT_DETAILS)},
}
MUTUALLY_EXCLUSIVE = [["config", "src"], ["running_config", "running_state"]]
REQUIRED_IF = [
    ["state", "merged", ["config", "src"], True],
    ["state", "replaced", ["config", "src"], True],
    ["state", "overridden", ["config", "src"], True],
    ["state", "rendered", ["config", "src"], True],
    ["state", "parsed", ["running_config"]],
]


def config_failure(exc: Exception, what: str) -> dict:
    """A fail result listing every config error as 'path: message' (and structured)."""
    if isinstance(exc, config_mod.ConfigError):
        errors = [{"path": e.path, "message": e.message, "line": e.line} for e in exc.errors]
        lines = ["%s: %s" % (e.path, e.message) for e in exc.errors]
        return {
            "msg": "%s is not a valid maglev.yaml (%d error%s): %s"
            % (what, len(lines), "" if len(lines) == 1 else "s", "; ".join(lines)),
            "errors": errors,
        }
    line = getattr(exc, "line", None)
    return {
        "msg": "%s cannot be read: %s" % (what, exc),
        "errors": [{"path": what, "message": getattr(exc, "message", str(exc)), "line": line}],
    }


def load_src(path: str) -> Tuple[Any, Config]:
    """(the YAML data, the validated Config) of a maglev.yaml file; raises ConfigError or
    ConfigSyntaxError. The data is what config.py's loader read (only true/false are
    booleans), so the module re-parses exactly what was validated here."""
    return config_mod.load_text_data(config_mod.read_text(path), path)


def plain(data: Any) -> Any:
    """``data`` with plain dict/list/str/int/float/bool/None only.

    Ansible (2.19+) hands action and filter plugins *tagged* subclasses of str/int/float
    (origin tracking); config.py checks ``type(value) is int`` so that a bool is never
    taken for a number, which a tagged int fails too. Converting here keeps that rule."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if isinstance(data, Mapping):
        return {plain(key): plain(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [plain(item) for item in data]
    if isinstance(data, bool):
        return bool(data)
    for kind in (str, int, float):
        if isinstance(data, kind):
            return kind(data)
    return data  # anything else (a date, a set): config.py reports it with its path


def parse_config(data: Any) -> Config:
    """The validated Config of a maglev.yaml structure (raises config.ConfigError)."""
    return config_mod.parse(plain(data))


def backend_states(
    config: Config, overrides: Optional[Mapping[str, Any]] = None, base: Optional[Mapping[str, Any]] = None
) -> Dict[str, BackendState]:
    """Each backend's state: ``base`` (maglevd's live states) or "assume up" (enabled backends
    up, disabled ones disabled), then the explicit ``overrides`` (option `states`) on top."""
    states = assumed_states(config)
    for name, value in (base or {}).items():
        if name in states:
            try:
                states[name] = BackendState(str(value).lower())
            except ValueError:
                states[name] = BackendState.UNKNOWN  # a state this collection does not know
    errors = []
    for name, value in (overrides or {}).items():
        if name not in config.backends:
            known = ", ".join(sorted(config.backends)) or "none"
            errors.append("states.%s: no backend %s in the config (backends: %s)" % (name, name, known))
            continue
        try:
            states[name] = BackendState(str(value).lower())
        except ValueError:
            errors.append("states.%s: %r is not a backend state (%s)" % (name, value, ", ".join(HEALTH_STATE_NAMES)))
    if errors:
        raise ModuleInputError("; ".join(errors))
    return states


# ----------------------------------------------------------------------------- protected VIPs


@dataclass(frozen=True)
class VipPattern:
    """A `protected` entry: a prefix, optionally narrowed to one protocol and port."""

    prefix: Any
    protocol: Optional[int] = None
    port: Optional[int] = None

    def matches(self, key: VipKey) -> bool:
        if key.prefix != self.prefix:
            return False
        if self.port is not None and key.port != self.port:
            return False
        return self.protocol is None or key.protocol == self.protocol


PROTECTED_HELP = (
    "a VIP prefix ('192.0.2.1/32': every VIP on it), a prefix with protocol:port "
    "('192.0.2.1/32 tcp:80'), '<prefix> all-ports', or a dict {vip, protocol, port}"
)


def _pattern(entry: Any, where: str) -> VipPattern:
    protocol: Optional[int] = None
    port: Optional[int] = None
    if isinstance(entry, Mapping):
        unknown = sorted(set(entry) - {"vip", "protocol", "port"})
        if unknown or "vip" not in entry:
            raise ModuleInputError("%s: expected %s, got keys %s" % (where, PROTECTED_HELP, ", ".join(sorted(entry))))
        text = str(entry["vip"])
        if entry.get("protocol") is not None:
            protocol = PROTOCOLS.get(str(entry["protocol"]))
            if protocol is None:
                raise ModuleInputError("%s.protocol: %r is not one of tcp, udp, any" % (where, entry["protocol"]))
        if entry.get("port") is not None:
            port = entry["port"]
            if isinstance(port, str) and port.strip().isdigit():
                port = int(port)  # as the text form '<prefix> udp:53' writes it
            fail_on_issues(check_port(port), where + ".port")
    elif isinstance(entry, str):
        parts = entry.split()
        if not 1 <= len(parts) <= 2:
            raise ModuleInputError("%s: %r is not %s" % (where, entry, PROTECTED_HELP))
        text = parts[0]
        if len(parts) == 2:
            if parts[1] == "all-ports":
                protocol, port = 255, 0
            else:
                name, _sep, number = parts[1].partition(":")
                if name not in ("tcp", "udp") or not number.isdigit() or _port_issues(name, int(number)):
                    raise ModuleInputError("%s: %r is not %s" % (where, entry, PROTECTED_HELP))
                protocol, port = PROTOCOLS[name], int(number)
    else:
        raise ModuleInputError("%s: %r is not %s" % (where, entry, PROTECTED_HELP))
    try:
        prefix = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ModuleInputError("%s: %r is not an IPv4/IPv6 address or prefix" % (where, text))
    if port == 0:
        protocol = 255
    return VipPattern(prefix, protocol, port)


def _port_issues(protocol: str, port: int) -> list:
    """The VIP rules of a pattern's protocol:port (a port of tcp/udp is 1..65535)."""
    return check_port(port) + check_protocol_port(protocol, port)


def parse_protected(entries: Optional[Iterable[Any]]) -> List[VipPattern]:
    return [_pattern(entry, "protected[%d]" % index) for index, entry in enumerate(entries or ())]


def protected_keys(patterns: List[VipPattern], keys: Iterable[VipKey]) -> List[VipKey]:
    """The VIPs among ``keys`` (VPP's current ones) that a pattern protects."""
    if not patterns:
        return []
    return [key for key in keys if any(pattern.matches(key) for pattern in patterns)]


# ----------------------------------------------------------------------------- offline states


def desired_for(config: Optional[Config], params: Mapping[str, Any], base_states: Optional[Mapping] = None) -> LbState:
    """The desired LbState of a task (empty without a config: `deleted` of everything)."""
    if config is None:
        return LbState()
    return desired_state(config, backend_states(config, params.get("states"), base_states))


def running_state(params: Mapping[str, Any]) -> LbState:
    """What `rendered` plans against: `running_state` (a maglev.yaml structure, e.g. the
    output of `gathered`), or `running_config` (`show lb vips verbose` text), or a VPP with
    no VIP and nothing configured."""
    if params.get("running_state") is not None:
        try:
            return desired_state(parse_config(params["running_state"]))
        except config_mod.ConfigError as exc:
            raise ModuleInputError(config_failure(exc, "running_state")["msg"])
    if params.get("running_config"):
        return running_config_state(params["running_config"])
    return LbState()


def running_config_state(text: str) -> LbState:
    """`show lb vips verbose` text -> LbState. Text in which no VIP section can be found
    fails instead of meaning "no VIP": plain `show lb vips` (no [index] in its VIP lines) or
    the wrong command's output would otherwise parse silently into an empty LB."""
    try:
        records = parse_show_lb_vips(text)
    except ValueError as exc:
        raise ModuleInputError("running_config: %s" % exc)
    if not records and text.strip():
        raise ModuleInputError(
            "running_config: no VIP found in the text; expected the output of 'show lb vips verbose' "
            "(each VIP starts with a line like 'ip4-gre4 [0] 192.0.2.1/32'; plain 'show lb vips' is not enough)"
        )
    return records_to_state(records)


def plan_result(the_plan: Any, estimate_disruption: bool) -> dict:
    """The result keys every plan reports (without before/after, which the caller chooses)."""
    result = {
        "changed": bool(the_plan),
        "commands": the_plan.commands(),
        "api_calls": the_plan.api_calls(),
        "summary": the_plan.summary(),
        "recreated": bool(the_plan.recreated),
        "recreate_reasons": sorted({reason for reasons in the_plan.recreated.values() for reason in reasons}),
    }
    if estimate_disruption:
        result["disruption"] = plan_disruption(the_plan)
    return result


def result_view(params: Mapping[str, Any], the_plan: Any) -> Callable[[LbState], dict]:
    """How before/after are rendered: only the conf and the VIPs the plan touches (changes, the
    default), so that the result of a task on a large LB grows with the change, not with the
    LB, or the whole LB (full: a no-op drift check of 64,000 ASes then returns 5.8 MB, which
    Ansible takes seconds to pass around; docs/performance.md)."""
    if (params.get("result_detail") or "changes") == "full":
        return state_to_dict
    keys = the_plan.changed_vips()

    def view(state: LbState) -> dict:
        return state_to_dict(LbState(state.conf, {key: state.vips[key] for key in keys if key in state.vips}))

    return view


def protected_from(params: Mapping[str, Any], current: LbState) -> List[VipKey]:
    return protected_keys(parse_protected(params.get("protected")), current.vips)


def guard_emptying(the_plan: Any, state: str, allow_empty: bool) -> None:
    """Refuse an overridden/deleted plan that would leave VPP with no VIP at all.

    A maglev.yaml whose frontends were emptied or commented out by mistake would otherwise
    delete the whole load balancer; raises PlanError unless allow_empty."""
    if allow_empty or state not in ("overridden", "deleted") or not the_plan.before.vips or the_plan.after.vips:
        return
    keys = sorted(the_plan.before.vips, key=VipKey.sort_key)
    shown = ", ".join(str(key) for key in keys[:3]) + (" and %d more" % (len(keys) - 3) if len(keys) > 3 else "")
    raise PlanError(
        "state %s would delete every VIP (%d: %s) and leave the load balancer empty; "
        "set allow_empty: true if that is intended" % (state, len(keys), shown)
    )


def render(config: Config, params: Mapping[str, Any]) -> dict:
    """state=rendered: the vppctl lines and API calls of the config, offline.

    Planned with `render_state` semantics against running_state()/running_config, so it is
    also a dry run of a change against a saved `gathered` output. Raises ModuleInputError/PlanError."""
    current = running_state(params)
    desired = desired_for(config, params)
    the_plan = plan(
        current,
        desired,
        params.get("render_state") or "replaced",
        protected=protected_from(params, current),
        flush_removed=bool(params.get("flush")),
        allow_empty=bool(params.get("allow_empty")),
    )
    guard_emptying(the_plan, params.get("render_state") or "replaced", bool(params.get("allow_empty")))
    result = plan_result(the_plan, bool(params.get("estimate_disruption", True)))
    result["rendered"] = result["commands"]
    result["changed"] = False  # nothing was (or would be) changed anywhere
    result["diff"] = the_plan.diff()
    result["after"] = result_view(params, the_plan)(the_plan.after)
    return result


def parse(params: Mapping[str, Any]) -> dict:
    """state=parsed: `show lb vips verbose` text -> the maglev.yaml structure, offline."""
    text = params.get("running_config")
    if not text:
        raise ModuleInputError("running_config: the text of 'show lb vips verbose' is required for state parsed")
    return {"changed": False, "parsed": state_to_config(running_config_state(text))}


def gathered(current: LbState) -> dict:
    return {"changed": False, "gathered": state_to_config(current)}
