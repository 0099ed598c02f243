"""vppsim: a server that speaks VPP's binary API so that unmodified vpp_papi talks to it.

See docs/vppsim.md. ``harness.VppSim`` runs it for tests.
"""
