"""The month reviewed as a sales leader reads it: the deals behind the result (`deals`: loss
reasons, the biggest deals won, lost and slipped, dependence on one rep) and page 1's risks and
actions, found by a fixed rule table (`brief`).

It sits above the analyses (it reads the forecast's quarter outlook) and below the reports."""

from analysis.review.brief import (
    RULES,
    Action,
    Risk,
    falling_indicators,
    find_risks,
    recommend,
    rules_markdown,
)
from analysis.review.deals import (
    NO_REASON,
    aged_open_deals,
    biggest_deals,
    concentration,
    loss_reasons,
    lost_before,
    quota_ahead,
    scope_deals,
    slipped_deals,
)

__all__ = [
    "RULES",
    "Risk",
    "Action",
    "find_risks",
    "falling_indicators",
    "recommend",
    "rules_markdown",
    "NO_REASON",
    "scope_deals",
    "loss_reasons",
    "lost_before",
    "biggest_deals",
    "slipped_deals",
    "concentration",
    "quota_ahead",
    "aged_open_deals",
]
