"""Do skill assessments go with results, and did training change skills and results?

`questions` prepares the data once (`prepare`) and answers each question as one tidy row per
test (`effects_table`); `inference` holds the estimators (the staggered difference in
differences, OLS with robust errors, the minimum detectable effect, Spearman) with no knowledge of
the dataset.
"""

from analysis.effects.inference import mde_from_se, ols, staggered_did
from analysis.effects.questions import (
    BOOTSTRAP,
    MIN_N,
    OUTCOMES,
    PERMUTATIONS,
    PRACTICAL,
    RESULT_COLUMNS,
    EffectsData,
    effects_table,
    prepare,
)

__all__ = [
    "RESULT_COLUMNS",
    "OUTCOMES",
    "PRACTICAL",
    "MIN_N",
    "BOOTSTRAP",
    "PERMUTATIONS",
    "EffectsData",
    "prepare",
    "effects_table",
    "ols",
    "staggered_did",
    "mde_from_se",
]
