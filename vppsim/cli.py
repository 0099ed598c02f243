"""The debug-CLI commands ``cli_inband`` answers: ``show lb``, ``show lb vips [verbose]``,
``show version``, parsed as VPP's CLI parses them (cli_dispatch.py) and printed as VPP's lb
plugin prints them (lb_text.py). docs/vppsim.md#cli_inband-text documents both.
"""

from __future__ import annotations

from typing import Optional, Tuple

from .cli_dispatch import CliInput, Command, Function, Output, run_line
from .lb_tables import LbTables
from .lb_text import format_lb_main, format_lb_vip, format_lb_vip_detailed

# VPP master's other command words that share a first letter with the words vppsim serves
# (root "show", "show lb", "show version", "show lb vips"): they make an abbreviation as
# ambiguous, or as unique, as it is on VPP (`sh lb vip` works, `show l` does not).
VPP_ROOT_WORDS = [
    "sample",
    "sasc",
    "save",
    "selog",
    "session",
    "set",
    "sfdp",
    "sflow",
    "snort",
    "soft-rss",
    "sr",
    "srp",
    "stn",
    "suspend",
    "svs",
]
VPP_SHOW_WORDS = [
    "l2",
    "l2fib",
    "l2patch",
    "l2tpv3",
    "l2xcrw",
    "l3xc",
    "lacp",
    "lcp",
    "lisp",
    "lldp",
    "load-balance",
    "load-balance-map",
    "logging",
    "lookup-dpo",
    "vhost-user",
    "virtio",
    "vlib",
    "vmxnet3",
    "vrrp",
    "vxlan",
    "vxlan-gpe",
]


def _not_simulated(source: CliInput, out: Output) -> Optional[str]:
    return "not simulated by vppsim"


def _show_lb(lb: LbTables) -> Function:
    def show_lb(source: CliInput, out: Output) -> Optional[str]:
        out.write(format_lb_main(lb))  # reads none of its input: the root parses what is left
        return None

    return show_lb


def _show_lb_vips(lb: LbTables) -> Function:
    def show_lb_vips(source: CliInput, out: Output) -> Optional[str]:
        line = source.line()
        verbose = line is not None and CliInput(line).word("verbose")
        for index, vip in lb.vips.items():
            if index == 0:
                continue  # the placeholder VIP
            text = format_lb_vip_detailed(lb, index, vip) if verbose else format_lb_vip(lb, vip)
            out.write(text + "\n")
        return None

    return show_lb_vips


def _show_version(version: str) -> Function:
    def show_version(source: CliInput, out: Output) -> Optional[str]:
        # VPP reads "verbose" and "cmdline" (their extra lines are not simulated) and stops at
        # anything else, which the root then reports as unknown input.
        while not source.at_end() and (source.word("verbose") or source.word("cmdline")):
            pass
        out.write("vpp v%s built by vppsim on localhost\n" % version)
        return None

    return show_version


def command_tree(lb: LbTables, version: str) -> Command:
    root = Command("")
    for word in VPP_ROOT_WORDS:
        root.add(word, _not_simulated)
    for word in VPP_SHOW_WORDS:
        root.add("show " + word, _not_simulated)
    root.add("show lb", _show_lb(lb))
    root.add("show lb vips", _show_lb_vips(lb))
    root.add("show version", _show_version(version))
    return root


def run(lb: LbTables, command: str, version: str) -> Tuple[str, int]:
    """cli_inband: (reply text, retval)."""
    return run_line(command_tree(lb, version), command)
