"""Errors that reach the user as one line (the CLI prints them without a traceback)."""


class TinymemError(Exception):
    """Base class: a user-facing problem with the input, the model or the environment."""

    exit_code = 1


class ModelFormatError(TinymemError):
    """The model file is truncated, corrupt or not the format its name says."""


class UnsupportedOperatorError(TinymemError):
    """The model uses an operator (or a variant of one) that tinymem cannot compile."""

    exit_code = 2


class ToolchainError(TinymemError):
    """A required external tool (C compiler, valgrind, ...) is missing or failed."""


class InputError(TinymemError):
    """An input file given to run/verify does not match the model."""
