"""Notification preferences and digests: how often each member gets each kind of email."""
