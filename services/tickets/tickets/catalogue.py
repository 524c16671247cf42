"""The responsibility catalogue (责任清单): what can be reported, who handles it by
default, whether grid workers may take it (grid-affairs admission, 事务准入), how near
another report must be to count as a likely duplicate, and SLA deadlines per grade.

Deadline defaults (hours unless a ``d`` marks working days), per grade:

==========  ========  ==============  ==========================
grade       accept    first response  resolve
==========  ========  ==============  ==========================
daily       4 h       24 h            5 working days (simple: 3)
urgent      0.5 h     2 h             24 h
major       0.25 h    1 h             12 h
==========  ========  ==============  ==========================

A whistle dispatch adds the department clocks from practice: sign within 1 hour,
contact within 24 hours, attend within 3 working days (5 for complex cases).
``TICKET_CATALOGUE`` (a JSON file path) replaces this list in a deployment; there a
category is published (Open311) only when its item says ``"published": true``.
"""
import json
from dataclasses import dataclass, field

GRADES = ("daily", "urgent", "major")
DEPARTMENTS = {
    "urban_management": "区城市管理局", "environment": "区生态环境局", "emergency": "区应急管理局",
    "fire": "区消防救援大队", "public_security": "区公安分局", "civil_affairs": "区民政局", "housing": "区住房和城乡建设局",
    "water": "区水务局", "market": "区市场监督管理局", "health": "区卫生健康委员会", "transport": "区交通运输局",
    "education": "区教育局", "natural_resources": "区自然资源局", "agriculture": "区农业农村局", "justice": "区司法局",
    "human_resources": "区人力资源和社会保障局", "power": "供电公司", "telecom": "通信运营商", "ethnic_religious": "区民族宗教事务局",
    "cyberspace": "区委网信办", "medical_security": "区医疗保障局",
}

SIMPLE, STANDARD, COMPLEX = 3, 5, 10  # working days to resolve a daily ticket


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    department: str
    grid_admission: bool = True
    duplicate_radius_m: int = 250
    resolve_days: int = STANDARD
    sla: dict = field(default_factory=dict)
    # Published (Open311, issue 20): anyone may read its tickets' kind, place and progress,
    # never their reporter. Only problems of shared space are: a category about a person
    # (a dispute, an elderly person living alone, a suspect) would put that person's
    # door on a public map, and leads against a business are unproven accusations.
    published: bool = False

    def deadlines(self, grade):
        """{clock: (amount, unit)} for a grade; unit "h" (hours) or "d" (working days)."""
        base = {
            "daily": {"accept": (4, "h"), "respond": (24, "h"), "resolve": (self.resolve_days, "d")},
            "urgent": {"accept": (0.5, "h"), "respond": (2, "h"), "resolve": (24, "h")},
            "major": {"accept": (0.25, "h"), "respond": (1, "h"), "resolve": (12, "h")},
        }[grade]
        return {**base, **self.sla.get(grade, {})}

    def view(self):
        return {"code": self.code, "name": self.name, "department": self.department,
                "department_name": DEPARTMENTS.get(self.department, self.department),
                "grid_admission": self.grid_admission, "duplicate_radius_m": self.duplicate_radius_m,
                "published": self.published,
                "sla": {grade: {clock: f"{amount:g}{unit}" for clock, (amount, unit) in self.deadlines(grade).items()}
                        for grade in GRADES}}


def _c(code, name, department, *, admission=True, radius=250, days=STANDARD, published=True):
    return Category(code, name, department, admission, radius, days, published=published)


DEFAULT_CATEGORIES = (
    # 城市管理 urban management
    _c("UM01", "占道经营", "urban_management", radius=100, days=SIMPLE),
    _c("UM02", "乱堆乱放", "urban_management", radius=100, days=SIMPLE),
    _c("UM03", "违法建设", "urban_management", admission=False, days=COMPLEX),
    _c("UM04", "暴露垃圾", "urban_management", radius=100, days=SIMPLE),
    _c("UM05", "道路破损", "urban_management"),
    _c("UM06", "井盖缺失破损", "urban_management", radius=50, days=SIMPLE),
    _c("UM07", "路灯故障", "urban_management", radius=100),
    _c("UM08", "共享单车乱停放", "urban_management", radius=150, days=SIMPLE),
    _c("UM09", "违规户外广告", "urban_management"),
    _c("UM10", "绿化损毁", "urban_management"),
    _c("UM11", "渣土撒漏", "urban_management", radius=500, days=SIMPLE),
    _c("UM12", "小广告乱张贴", "urban_management", radius=100, days=SIMPLE),
    # 生态环境 environment
    _c("EP01", "餐饮油烟扰民", "environment", radius=100),
    _c("EP02", "污水直排", "environment", admission=False, radius=500),
    _c("EP03", "河道漂浮物", "water", radius=500, days=SIMPLE),
    _c("EP04", "露天焚烧", "environment", radius=500, days=SIMPLE),
    _c("EP05", "工地扬尘", "environment", radius=300),
    _c("EP06", "噪声扰民", "environment", radius=200),
    # 安全隐患 safety and fire
    _c("SF01", "楼道堆物", "fire", radius=50, days=SIMPLE),
    _c("SF02", "电动车违规充电", "fire", radius=50, days=SIMPLE),
    _c("SF03", "消防通道堵塞", "fire", radius=100, days=SIMPLE),
    _c("SF04", "燃气安全隐患", "emergency", admission=False, radius=100, published=False),
    _c("SF05", "房屋安全隐患", "housing", admission=False, days=COMPLEX, published=False),
    _c("SF06", "高空坠物隐患", "housing", radius=100),
    _c("SF07", "违规动火作业", "emergency", admission=False),
    _c("SF08", "危险化学品隐患", "emergency", admission=False, radius=500),
    # 社会治安 public security
    _c("PS01", "治安隐患", "public_security", admission=False, published=False),
    _c("PS02", "可疑人员线索", "public_security", admission=False, published=False),
    _c("PS03", "寄递物流安全", "public_security", admission=False, published=False),
    _c("PS04", "校园周边安全", "education", admission=False, published=False),
    # 矛盾纠纷 disputes (mediated first in the grid)
    _c("DM01", "邻里纠纷", "justice", radius=50, published=False),
    _c("DM02", "婚姻家庭纠纷", "justice", radius=50, published=False),
    _c("DM03", "劳资纠纷", "human_resources", admission=False, days=COMPLEX, published=False),
    _c("DM04", "物业纠纷", "housing", radius=100, published=False),
    _c("DM05", "土地山林纠纷", "natural_resources", admission=False, days=COMPLEX, published=False),
    _c("DM06", "消费纠纷", "market", published=False),
    # 民生服务 convenience services
    _c("LS01", "独居老人帮扶", "civil_affairs", radius=50, days=SIMPLE, published=False),
    _c("LS02", "困难群众救助", "civil_affairs", radius=50, published=False),
    _c("LS03", "残疾人服务", "civil_affairs", radius=50, published=False),
    _c("LS04", "就业帮扶", "human_resources", radius=50, published=False),
    _c("LS05", "证照代办", "civil_affairs", radius=50, days=SIMPLE, published=False),
    _c("LS06", "医保社保咨询", "medical_security", radius=50, days=SIMPLE, published=False),
    _c("LS07", "养老服务", "civil_affairs", radius=50, published=False),
    # 市政设施 utilities
    _c("MU01", "供水故障", "water", radius=300, days=SIMPLE),
    _c("MU02", "停电", "power", admission=False, radius=500, days=SIMPLE),
    _c("MU03", "排水不畅积水", "water", radius=300, days=SIMPLE),
    _c("MU04", "电梯故障", "market", radius=50, days=SIMPLE),
    _c("MU05", "通信线缆乱拉", "telecom", radius=100),
    _c("MU06", "公共设施损坏", "urban_management"),
    # 交通 traffic
    _c("TR01", "违章停车", "public_security", radius=100, days=SIMPLE),
    _c("TR02", "交通设施损坏", "transport", radius=200),
    _c("TR03", "公交站台问题", "transport", radius=200),
    # 市场与食品 market and food
    _c("FD01", "无证无照经营", "market", admission=False, published=False),
    _c("FD02", "食品安全问题", "market", admission=False, published=False),
    _c("FD03", "价格违法", "market", admission=False, published=False),
    # 卫生健康 health
    _c("HE01", "病媒生物孳生", "health", radius=300, days=SIMPLE),
    _c("HE02", "传染病疫情线索", "health", admission=False, radius=1000, days=SIMPLE, published=False),
    # 应急与自然资源 emergencies and land
    _c("EM01", "地质灾害隐患", "natural_resources", admission=False, radius=1000),
    _c("EM02", "防汛隐患", "emergency", radius=500, days=SIMPLE),
    _c("EM03", "森林火情隐患", "emergency", admission=False, radius=2000, days=SIMPLE),
    _c("AG01", "农田水利设施损坏", "agriculture", radius=500),
    _c("AG02", "动物疫情线索", "agriculture", admission=False, radius=1000, days=SIMPLE, published=False),
    # 其他 other
    _c("RE01", "非法宗教活动线索", "ethnic_religious", admission=False, published=False),
    _c("OP01", "网络舆情", "cyberspace", admission=False, radius=0, published=False),
    _c("OT99", "其他事项", "urban_management", published=False),
)


class Catalogue:
    def __init__(self, categories=DEFAULT_CATEGORIES):
        self.by_code = {c.code: c for c in categories}
        # Whom a whistle may summon: the known departments and each category's default.
        self.departments = frozenset(DEPARTMENTS) | {c.department for c in categories}

    def get(self, code):
        return self.by_code.get(code)

    def __iter__(self):
        return iter(self.by_code.values())

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as handle:
            items = json.load(handle)
        return cls(tuple(Category(
            item["code"], item["name"], item["department"], item.get("grid_admission", True),
            item.get("duplicate_radius_m", 250), item.get("resolve_days", STANDARD),
            {grade: {clock: tuple(value) for clock, value in clocks.items()}
             for grade, clocks in item.get("sla", {}).items()},
            item.get("published", False)) for item in items))  # a deployment publishes on purpose
