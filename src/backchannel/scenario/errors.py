"""Input errors that name the file, the place in it and the fix."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from a user: the CLI prints it (no traceback) and exits with code 2.

    ``source`` is the file (or a label such as ``<embedded:iran_us_2019>``), ``where`` the
    place in it (``line 12, actors[1].positions.nuclear.salience``), ``fix`` what to do.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        where: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """The message as printed: ``source, where: problem`` and the fix on its own line."""
        head = self.source or "input"
        if self.where:
            head += f", {self.where}"
        text = f"{head}: {self.problem}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class ScenarioError(InputError):
    """A scenario file that cannot be read or does not validate."""


class ManyErrors(InputError):
    """Several problems in one file, reported together."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(
            first.problem,
            source=first.source,
            where=first.where,
            fix=first.fix,
        )

    def render(self) -> str:
        """Every problem, one per line (with a count when there are several)."""
        lines = [f"{len(self.errors)} problem(s) found:"] if len(self.errors) > 1 else []
        lines += [e.render() if isinstance(e, InputError) else str(e) for e in self.errors]
        return "\n".join(lines)
