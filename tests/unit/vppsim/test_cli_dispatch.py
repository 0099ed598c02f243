"""How vppsim reads a CLI command line: VPP's vlib_cli_input and its unformat rules
(docs/vppsim.md#cli_inband-text): unique prefixes, a parent running with what its
sub-commands did not take, errors after the output with retval -1."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.vppsim import cli
from ansible_collections.vpp.maglev.vppsim.cli_dispatch import CliInput
from ansible_collections.vpp.maglev.vppsim.lb import LbPlugin
from ansible_collections.vpp.maglev.vppsim.lb_types import OK

PFX = {"address": {"af": 0, "un": bytes([192, 0, 2, 1]) + bytes(12)}, "len": 32}
SHOW_LB = "lb_main ip4-src-address: 255.255.255.255 \n ip6-src-address: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff \n"


@pytest.fixture
def lb():
    tables = LbPlugin()
    assert tables.add_del_vip(PFX, 6, 80, 0, 0, 0, 0, 1024, False) == OK
    return tables


def run(lb, command):
    return cli.run(lb, command, "26.10")


SHORT = "ip4-gre4 192.0.2.1/32 new_size:1024 #as:0  protocol:6 port:80 \n"
VERBOSE_HEAD = " ip4-gre4 [1] 192.0.2.1/32\n"


def test_show_lb_then_unknown_input_for_what_it_did_not_read(lb):
    text, retval = run(lb, "show lb as")
    assert text == SHOW_LB + " #vips: 2\n #ass: 0\nunknown input `as'\n"
    assert retval == -1


@pytest.mark.parametrize(
    "command",
    [
        "show lb vips verbose",
        "sh lb vip verbose",
        "show lb v verbose",
        "  show   lb   vips   verbose  ",
        "show lb vips verbosely",
    ],
)
def test_verbose_with_unique_prefixes_of_the_command_words(lb, command):
    text, retval = run(lb, command)
    assert text.startswith(VERBOSE_HEAD) and retval == 0


@pytest.mark.parametrize("command", ["show lb vips", "sh lb vip ver", "show lb vips foo verbose"])
def test_verbose_is_a_literal_that_cannot_be_abbreviated(lb, command):
    # show lb vips reads the rest of its line and looks for "verbose" at its start only.
    assert run(lb, command) == (SHORT, 0)


def test_an_ambiguous_word_that_ends_the_line_is_reported_with_nothing_left():
    # "l" abbreviates l2fib, lb, lcp, ... on VPP; the match ran into the end of the input,
    # which unformat does not rewind, so the message quotes nothing.
    assert run(LbPlugin(), "show l") == ("show: unknown input `'\n", -1)
    assert run(LbPlugin(), "show l x") == ("show: unknown input `l x'\n", -1)


def test_an_unknown_root_word_and_the_30_character_cut():
    assert run(LbPlugin(), "frobnicate") == ("unknown input `frobnicate'\n", -1)
    assert run(LbPlugin(), "x" * 40) == ("unknown input `%s...'\n" % ("x" * 30), -1)


def test_commands_on_several_lines_run_in_turn(lb):
    assert run(lb, "show lb\nshow lb vips verbose\n")[0].startswith(SHOW_LB + " #vips: 2\n #ass: 0\n" + VERBOSE_HEAD)
    # The newline that ends the word "vips" belongs to the word: show lb vips then reads the
    # next line as its arguments, as on VPP.
    assert run(lb, "show lb vips\nshow lb vips verbose\n") == (SHORT, 0)


def test_show_version_reads_its_flags_and_stops_at_anything_else(lb):
    assert run(lb, "sh ver verbose cmdline") == ("vpp v26.10 built by vppsim on localhost\n", 0)
    assert run(lb, "show version " + "x" * 3) == ("vpp v26.10 built by vppsim on localhost\nunknown input `xxx'\n", -1)


def test_a_vpp_command_vppsim_does_not_simulate_says_so(lb):
    assert run(lb, "show l2fib") == ("show l2fib: not simulated by vppsim\n", -1)


def test_a_literal_matches_a_prefix_of_the_input_and_eats_the_space_after_it():
    source = CliInput("  verbosely  x")
    assert source.word("verbose") and source.buffer[source.index :] == "ly  x"
    source = CliInput("ver")
    assert not source.word("verbose") and source.index == 0
