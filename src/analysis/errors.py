"""One exception type for bad input, carrying what a user needs to fix it."""

from __future__ import annotations

from functools import partial


class InputError(Exception):
    """Bad input: a corrupt or unexpected file, a missing column, an unknown code, or bad config.

    The message names the file, and where known the column and row, and says what to change.
    `row` is the 1-based record number in the source (SPSS/Stata case number; for CSV/XLSX the data
    row, i.e. the spreadsheet row minus the header).
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | str | None = None,
        fix: str | None = None,
        key: str | None = None,
    ):
        self.problem, self.file, self.column, self.row, self.fix, self.key = (
            problem,
            file,
            column,
            row,
            fix,
            key,
        )
        super().__init__(self.render())

    def __reduce__(self):
        """Pickle with every field, so an error raised in a worker process arrives whole."""
        return (
            partial(
                type(self),
                file=self.file,
                column=self.column,
                row=self.row,
                fix=self.fix,
                key=self.key,
            ),
            (self.problem,),
        )

    def render(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.key:
            where.append(f"key '{self.key}'")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        text = f"ERROR: {self.problem}"
        if where:
            text += f"\n  where: {', '.join(where)}"
        if self.fix:
            text += f"\n  fix:   {self.fix}"
        return text
