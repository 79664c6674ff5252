"""Needs: what an area's practices need and what its PCNs need, as two separate channels."""
