"""Second-level categories (二级分类): a few realistic names under each first-level category.

No report prints them, so they are not quotas: a ticket's subcategory is drawn within its
category with a gentle Zipf (the first name most often), from a generator of its own, so the
published figures' draws are untouched. A category outside the catalogue (the filler 其他N, or a
profile's own TOP name) has one generic subcategory. Every name belongs to one category only, so
a subcategory names its category (the injections use that).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SUBCATEGORIES: dict[str, tuple[str, ...]] = {
    "民生保障": ("供水", "供电", "燃气", "供暖", "社会救助", "养老服务", "殡葬管理"),
    "经济综合": ("营商环境", "企业诉求", "价格监管", "金融服务", "招商引资"),
    "住房保障": ("物业管理", "房屋质量", "公积金", "保障性住房", "房屋租赁", "不动产登记"),
    "交通出行": ("公交线路", "道路拥堵", "出租车网约车", "停车管理", "交通信号", "道路养护"),
    "城乡建设": ("违章建筑", "施工噪音", "市政设施", "路灯照明", "拆迁安置", "绿化养护"),
    "党务政务": ("政务服务", "办事效率", "工作作风", "政策咨询"),
    "教育文体": ("学校招生", "校外培训", "教师师德", "学生安全", "体育设施"),
    "卫生健康": ("医疗服务", "医患纠纷", "疫情防控", "母婴保健", "药品管理"),
    "农业农村": ("农村环境", "土地承包", "惠农补贴", "农村道路", "动物防疫"),
    "生态环境": ("大气污染", "水污染", "噪声污染", "餐饮油烟", "固废处置"),
    "公共安全": ("治安管理", "消防安全", "电信诈骗", "户籍管理"),
    "市场监管": ("食品安全", "消费维权", "产品质量", "虚假宣传", "特种设备"),
    "劳动社保": ("欠薪讨薪", "社保缴纳", "劳动合同", "就业创业", "退休待遇", "工伤认定"),
    "科技信息": ("通信网络", "网络信息", "科技项目", "信息安全"),
    "文化旅游": ("景区管理", "文化活动", "旅游投诉", "文物保护"),
    "应急管理": ("安全生产", "防汛抗旱", "危化品", "自然灾害"),
}
GENERIC = "其他事项"  # the one subcategory of a category outside the catalogue (其他N, a profile's own)
CATEGORY_OF = {s: c for c, names in SUBCATEGORIES.items() for s in names}
ZIPF_OFFSET = 2.0  # weight 1/(rank + 2): the first name about 2.5 times as frequent as the sixth


def names_of(category: str) -> tuple[str, ...]:
    return SUBCATEGORIES.get(category, (GENERIC,))


def _cumulative(n: int) -> np.ndarray:
    w = 1.0 / (np.arange(n) + ZIPF_OFFSET)
    return np.cumsum(w / w.sum())


_CUM = {n: _cumulative(n) for n in {1, *(len(v) for v in SUBCATEGORIES.values())}}


def draw(rng: np.random.Generator, categories: Sequence[str]) -> list[str]:
    """One subcategory per ticket, drawn within its category (one uniform draw per ticket, in
    order, so the draws of one ticket do not depend on the others' categories)."""
    u = rng.random(len(categories))
    out = []
    for c, x in zip(categories, u):
        names = names_of(c)
        cum = _CUM[len(names)]
        out.append(names[min(int(np.searchsorted(cum, x, side="right")), len(names) - 1)])
    return out
