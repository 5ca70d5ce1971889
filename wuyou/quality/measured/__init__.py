"""Measured quality (issue 14 item 6, R-G2, R-G7): satisfaction, complaint processing, response rates and service
gaps, read from the database for the acting user's outlets, region or the whole network.

Every figure is aggregated in the database (GROUP BY with conditional counts), never read callback by callback:
the period's callbacks are counted ONCE (`CallbackFigures`: by reason, status, outcome, month, the breakdown's key
and the stratum, a few thousand groups at most) and every callback table is built from that in Python; the period's
completed visits are counted once too (`job_figures`: the strata's weights and the booked-window standard). The
statistics (Wilson intervals, verdicts, the stratified estimate) come from `wuyou.quality.measures`.

Satisfaction is measured on *sampled* callbacks only: a rule-made callback is asked because something went wrong
or may have, so its answers are biased; they are shown apart, without a verdict.
"""

from wuyou.quality.measured.callbacks import (  # noqa: F401
    _CALLBACK_COUNTS,
    _CALLBACK_KEYS,
    _CLOCK_KEYS,
    _GROUP_COUNTS,
    _RANDOM_PAGE_COST,
    CallbackFigures,
    _callback_row,
    _callbacks,
    _counted,
    _Group,
    _grouped,
    _index_joins,
    _month_key,
    _none_label,
    _plan_strata,
    _prime,
    _primed_callback_rows,
    _stratum_second,
    _total,
    callback_figures,
    month_points,
    rule_made_by_reason,
    satisfaction_by,
    satisfaction_by_month,
    satisfaction_total,
    wilson_rates,
)
from wuyou.quality.measured.network import (  # noqa: F401
    _CLOCK_COUNTS,
    JobFigures,
    _clocks,
    _seen,
    _standard_label,
    complaints_by,
    complaints_total,
    dimension_gaps,
    job_figures,
    onsite_vs_callback,
    quality_report,
    service_standards,
    stratified_estimates,
)
from wuyou.quality.measured.periods import (  # noqa: F401
    _FINISHED,
    COMPLAINT_TARGET,
    DEFAULT_MONTHS,
    MAX_MONTHS,
    QUALITY_ROLES,
    SATISFACTION_TARGET,
    STANDARD_TARGETS,
    WINDOW_STANDARD,
    WINDOW_TARGET,
    Breakdown,
    Period,
    QualityFilters,
    _parse_month,
    add_months,
    breakdown_label,
    month_start,
    quality_filters,
    sees_measured_quality,
    verdict_label,
)
from wuyou.quality.measured.rows import (  # noqa: F401
    CallbackRow,
    ComplaintRow,
    DimensionGap,
    MonthPoint,
    OnsiteRow,
    QualityReport,
    StandardRow,
    StratifiedRow,
)
