"""The brief as one document (docs/briefs.md): the head, then its sections in the printed order;
rounded once at the end like the annual report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.api.brief.assessment import Weights
from services.api.report.assemble import rounded
from services.api.report.figures import ServiceLevel

LABELS = {
    "summary": "本期概况", "trend": "每日诉求量与预期区间", "hot": "热点诉求", "clusters": "集中诉求",
    "pingpong": "推诿扯皮", "unsatisfied": "不满意工单", "supervision": "督办与超期", "departments": "部门考核",
}
NO_BASELINE = "无基线数据：本期之前的28天平台未持有事件，无法计算预期值。"


@dataclass(frozen=True)
class BriefParams:
    service_level: ServiceLevel = ServiceLevel()
    top_n: int = 10
    unsatisfied_on: str = "resolution"
    evaluations: str = "latest"
    weights: Weights = Weights()

    def as_dict(self) -> dict[str, Any]:
        sl = self.service_level
        return {"service_level": {"threshold_s": sl.threshold_s, "denominator": sl.denominator,
                                  "short_abandon_s": sl.short_abandon_s},
                "top_n": self.top_n, "unsatisfied_on": self.unsatisfied_on, "evaluations": self.evaluations,
                "weights": self.weights.as_dict()}


def section(name: str, **content: Any) -> dict[str, Any]:
    return {"label": LABELS[name], **content}


def document(head: dict[str, Any], sections: dict[str, Any]) -> dict[str, Any]:
    """`head` (report, city, [department], [label], timezone, period, parameters, generated_at,
    coverage) followed by the sections, every float rounded (rates 2 decimals, working days 3)."""
    return rounded({**head, **sections})
