"""maglevd's VPP side: one component (component.py) over the connection supervisor and the
reconciler. The map is in docs/reconciler.md."""
