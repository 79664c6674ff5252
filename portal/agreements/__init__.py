"""Shared ways of working: agreements practices sign up to, and how they change and are overseen."""
