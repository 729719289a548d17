"""What the maps' colours mean: the per-rep palette, the account status and coverage colours,
and their translated labels. The Django side reuses these for its own legends and forms.
"""

from __future__ import annotations

from collections.abc import Iterable

from maps.markup import Gettext

# Colour-blind-friendly enough and distinct on a light basemap; a 13th rep reuses colour 1
# (a territory map with more reps than this is filtered per region in practice).
REP_PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#393b79", "#bcbd22", "#637939", "#7f7f7f",
)  # fmt: skip
NO_REP_COLOR = "#9e9e9e"
REGION_COLOR = "#424242"  # a region's outline (territories.region_layer)
NEUTRAL_RING = "#616161"  # legend swatches of marks that take a rep's or status's colour
STATUS_COLORS: dict[str, str] = {"lead": "#1e88e5", "prospect": "#fb8c00", "customer": "#43a047"}

# Coverage classes, ordered by rank: a cluster shows the worst rank among its accounts.
COVERAGE_CLASSES: tuple[str, ...] = ("no_target", "ok", "overdue", "late", "never")
COVERAGE_COLORS: dict[str, str] = {
    "no_target": "#9e9e9e",
    "ok": "#2e7d32",
    "overdue": "#f9a825",
    "late": "#c62828",
    "never": "#6a1b9a",
}


def status_labels(_: Gettext) -> dict[str, str]:
    return {"lead": _("Leads"), "prospect": _("Prospects"), "customer": _("Customers")}


def coverage_labels(_: Gettext) -> dict[str, str]:
    return {
        "no_target": _("No visit frequency set"),
        "ok": _("Visited within frequency"),
        "overdue": _("Overdue"),
        "late": _("Overdue by more than twice the frequency"),
        "never": _("Never visited"),
    }


def coverage_class(days_since_visit: int | None, frequency_days: int | None) -> str:
    """Classify an account by its last visit against its desired visit frequency."""
    if frequency_days is None or frequency_days <= 0:
        return "no_target"
    if days_since_visit is None:
        return "never"
    if days_since_visit <= frequency_days:
        return "ok"
    if days_since_visit <= 2 * frequency_days:
        return "overdue"
    return "late"


def rep_colors(reps: Iterable[str | None]) -> dict[str, str]:
    """A stable colour per rep: sorted names, so the same set of reps always gets the same
    colours and the Django side can reuse this for its own legends and charts."""
    names = sorted({rep for rep in reps if rep})
    return {rep: REP_PALETTE[i % len(REP_PALETTE)] for i, rep in enumerate(names)}
