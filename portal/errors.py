"""Domain errors raised by services and shown to the user as a plain message."""


class DomainError(Exception):
    """A request the rules of the portal refuse; its message is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPermitted(DomainError):
    """The acting user may see the thing but may not do this to it (answered with 403)."""


class Conflict(DomainError):
    """The request clashes with the current state, e.g. a duplicate or a stale form."""
