"""Syntetos-Boylan demand classes of a demand history, and the forecasting method each class gets.
Plain Python.

A series is classed by its average inter-demand interval (ADI: periods per period with demand) and the
squared coefficient of variation of its non-zero demand sizes (CV²), with the cut-offs of Syntetos,
Boylan and Croston (2005), ADI 1.32 and CV² 0.49:

| class | ADI | CV² | method |
|---|---|---|---|
| smooth | ≤ 1.32 | ≤ 0.49 | Croston |
| erratic | ≤ 1.32 | > 0.49 | SBA (Syntetos-Boylan approximation) |
| intermittent | > 1.32 | ≤ 0.49 | SBA |
| lumpy | > 1.32 | > 0.49 | TSB (Teunter-Syntetos-Babai) |

SBA removes Croston's bias where demand is erratic or intermittent; TSB updates the probability of
demand every period, so a lumpy part whose demand dies away is not held at its old rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

ADI_CUT_OFF = 1.32
CV2_CUT_OFF = 0.49


class DemandClass(StrEnum):
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


class Method(StrEnum):
    CROSTON = "croston"
    SBA = "sba"
    TSB = "tsb"


METHOD_BY_CLASS: dict[DemandClass, Method] = {
    DemandClass.SMOOTH: Method.CROSTON,
    DemandClass.ERRATIC: Method.SBA,
    DemandClass.INTERMITTENT: Method.SBA,
    DemandClass.LUMPY: Method.TSB,
}


@dataclass(frozen=True, slots=True)
class Pattern:
    """What classes a series: its ADI and CV², how many periods had demand, and its class."""

    adi: float
    cv2: float
    demand_periods: int
    demand_class: DemandClass

    @property
    def method(self) -> Method:
        return METHOD_BY_CLASS[self.demand_class]


def classify(history: Sequence[float]) -> Pattern | None:
    """The pattern of a demand history (oldest period first); None if it has no demand at all.

    The history counts from its first period with demand (a part new at a depot has no earlier zeros).
    A single demand has a CV² of 0.
    """
    sizes = [value for value in history if value > 0]
    if not sizes:
        return None
    first = next(index for index, value in enumerate(history) if value > 0)
    adi = (len(history) - first) / len(sizes)
    mean = sum(sizes) / len(sizes)
    variance = sum((size - mean) ** 2 for size in sizes) / len(sizes)
    cv2 = variance / mean**2
    smooth_timing = adi <= ADI_CUT_OFF
    steady_size = cv2 <= CV2_CUT_OFF
    if smooth_timing:
        demand_class = DemandClass.SMOOTH if steady_size else DemandClass.ERRATIC
    else:
        demand_class = DemandClass.INTERMITTENT if steady_size else DemandClass.LUMPY
    return Pattern(adi=adi, cv2=cv2, demand_periods=len(sizes), demand_class=demand_class)
