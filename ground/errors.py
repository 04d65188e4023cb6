"""Errors that the CLI turns into one clear line and exit code 2."""


class FactoryError(Exception):
    """A user-facing error: its message is printed as one line, the process exits 2."""


class RecipeError(FactoryError):
    """A recipe problem, formatted ``file:line: field: message``."""

    def __init__(self, file: str, line: int | None, field: str, message: str):
        self.file, self.line, self.field, self.message = file, line, field, message
        loc = f"{file}:{line}" if line else f"{file}"
        super().__init__(f"{loc}: {field}: {message}")


class MissingDependencyError(FactoryError):
    """An optional heavy dependency is missing; the message carries the exact install line."""
