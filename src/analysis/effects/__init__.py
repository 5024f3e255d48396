"""Do skill assessments go with results, and did training change skills and results?

`questions` prepares the data once (`prepare`) and answers each question as one tidy row per
test (`effects_table`); `inference` holds the estimators (difference in means, difference in
differences, the minimum detectable effect, Spearman) with no knowledge of the dataset.
"""

from analysis.effects.inference import diff_in_diff, diff_in_means, mde_from_se, staggered_did
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
    "diff_in_means",
    "diff_in_diff",
    "staggered_did",
    "mde_from_se",
]
