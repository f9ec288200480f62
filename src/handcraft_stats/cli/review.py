"""hcs review same|different A B, hcs review --file filled.csv: analysts' decisions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EnvironmentProblem, UsageError
from .common import DEFAULT_DB, ConfigOpt, DbOpt, DebugOpt, QuietOpt, guarded, say, write_out


class Decision(StrEnum):
    same = "same"
    different = "different"


DecisionArg = Annotated[
    Decision | None, typer.Argument(help="same or different (person).", show_default=False)
]
RecordArg = Annotated[
    int | None, typer.Argument(help="A record id as shown by hcs dupes.", show_default=False)
]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file", help="A filled-in dupes listing (.csv or .xlsx) with `decision`.", readable=False
    ),
]


@guarded
def review_cmd(
    decision: DecisionArg = None, a: RecordArg = None, b: RecordArg = None,
    file: FileOpt = None, db: DbOpt = DEFAULT_DB, config: ConfigOpt = None,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Decide whether two records are the same woman; the periods concerned are relinked.

    Decisions are kept by the records' content, so they hold when a roster is ingested again.

    Example: hcs review different 3301 3308   (or: hcs review --file dupes.csv)
    """
    import pandas as pd

    from ..pipeline import relink
    from ..review import read_decisions, record_decisions
    from ..store import Store
    from ..versions import clear_pending

    if file is not None and decision is None:
        pairs, source = read_decisions(file), file.name
    elif file is None and decision is not None and a is not None and b is not None:
        pairs = pd.DataFrame({"record_a": [a], "record_b": [b], "decision": [decision.value]})
        source = "command line"
    else:
        raise UsageError("give either `same|different A B` or `--file FILE`")
    if not db.exists():
        raise EnvironmentProblem(f"database {db} does not exist: run `hcs ingest` first")
    with Store(db) as store:
        periods = record_decisions(store, pairs, source, say)  # pending until relinked
        for period in sorted(periods):
            relink(store, period)
            clear_pending(store, period)
    done = ", ".join(map(str, sorted(periods))) or "none"
    write_out(f"kept {len(pairs)} decision(s); relinked periods: {done}\n")
