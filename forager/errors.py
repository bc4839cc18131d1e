"""Errors a user can act on. The CLI prints them as one line, never a traceback."""


class ForagerError(Exception):
    """A failure with a message meant for the user (what is wrong and where)."""


class EngineUnavailable(ForagerError):
    """No Docker engine answers."""


class RecipeError(ForagerError):
    """A recipe file is missing, unreadable or invalid."""


class BuildError(ForagerError):
    """An image could not be built; the message names the log."""


class ValidationFailed(ForagerError):
    """An image was built but its test suite does not qualify."""
