"""What the benchmarks' report breakdowns share: logged samples in, tidy (long) frames out.

A breakdown (:class:`raif_eval.core.Breakdown`) reads only the samples lm-eval logs with ``--log_samples``: the
document (with the record as JSON), the scored ``filtered_resps`` (an encoded :class:`~raif_eval.core.Judged` for
judged tasks) and the per-sample metric values. It returns a frame with a plain RangeIndex: key columns, then
``metric``, ``value`` and ``n`` (how many questions / criteria / samples the value is over). Scores are on the
paper's scale (× 100).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from raif_eval.core.benchmark import doc_record
from raif_eval.core.judged import Judged

FILTER = "raif"
COLUMNS = ("metric", "value", "n")
Sample = dict[str, Any]


def scored(samples: Iterable[Sample] | None) -> list[Sample]:
    """The samples of the ``raif`` filter (lm-eval writes one line per document and filter)."""
    return [s for s in samples or () if s.get("filter", FILTER) == FILTER]


def sample_record(sample: Sample) -> dict[str, Any]:
    """The benchmark record of a sample (as the task's loader built it)."""
    return doc_record(sample["doc"])


def judged_of(sample: Sample) -> Judged | None:
    """The judged result of a judged task's sample, else None."""
    try:
        return Judged.decode(sample["filtered_resps"][0])
    except (TypeError, IndexError, KeyError):
        return None


def percent(value: float | None) -> float:
    return math.nan if value is None or (isinstance(value, float) and math.isnan(value)) else 100 * value


def frame(rows: list[dict[str, Any]], keys: Sequence[str]):
    import pandas as pd

    out = pd.DataFrame(rows, columns=[*keys, *COLUMNS])
    out["value"] = out["value"].astype(float)
    out["n"] = out["n"].astype(int)
    return out
