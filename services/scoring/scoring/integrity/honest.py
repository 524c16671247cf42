"""Made-up districts for the detectors: honest work, and fabrication one pattern at a time.

    honest_district(seed, workers=300, period="2026-Q2") -> [PersonFacts]
    fabricated(pattern, seed, check=None, period="2026-Q2", strength=1.0) -> [PersonFacts]
    mixed_district(seed, workers=..., share=0.05, period=..., strengths=(1.0,)) -> Population
    evaluate(population, flags) -> {"precision", "recall", ...}

Honest workers vary the way people do. Time: weekdays 08:30-17:30 give or take, some
Saturdays, evening visits until nine, a week or two of leave, now and then a week of
nothing but patrols (a campaign elsewhere); records reach the server seconds to minutes
after they happen, and after a few hours on a day the phone was offline. Place: each
grid a block of about 570 m by 555 m near Gaochun; check-ins walk or ride through it at
4-15 km/h with metres of GPS scatter, a few just over the boundary. Text: visit notes and
report descriptions composed from many independent slots, so no two read alike.
Resolutions take what their family takes (log-normal, disputes a day or more); about one
report in eight is fixed on the spot by its reporter in half an hour or so. Ratings
spread over the scale; rater accounts were made over years.

A fabricated history is one honest-looking worker (or, for copies across people, three)
with one pattern laid on: ``check`` picks one check of a pattern that has several
(``CHECKS``); None lays on all of them. ``strength`` scales the acts laid on, from the
blatant case the seed names (1) to a faint one (``GRADED_STRENGTHS`` runs from a quarter).
"""
import datetime as dt
import math
import random
from dataclasses import dataclass

from common import textsig
from scoring.integrity.detectors import window_of
from scoring.integrity.facts import PatrolFact, PersonFacts, RatingFact, TicketFact, VisitFact
from scoring.integrity.thresholds import PATTERNS, unknown_pattern
from scoring.periods import parse_period

DEFAULT_PERIOD = "2026-Q2"
SHANGHAI_OFFSET = 8 * 3600
DAY, HOUR, MINUTE = 86400, 3600, 60
ORIGIN = (118.87, 31.32)          # Gaochun, Nanjing
GRID_LON, GRID_LAT = 0.006, 0.005  # about 570 m by 555 m
GRIDS_PER_ROW = 40
M_PER_DEG_LAT = 111_320.0

CHECKS = {
    "implausible_movement": ("speed", "repeated_point", "outside"),
    "one_sided_ratings": ("top_marks_only", "bulk_accounts"),
    "impossible_visit": ("night", "no_residents"),
    "copied_text": ("own", "across"),
}

# Categories grid workers take, by family (services/tickets catalogue codes).
CATEGORIES = {
    "UM": ("UM01", "UM02", "UM04", "UM05", "UM06", "UM07", "UM08", "UM10", "UM12"),
    "SF": ("SF01", "SF02", "SF03", "SF06"),
    "EP": ("EP01", "EP03", "EP04", "EP05", "EP06"),
    "DM": ("DM01", "DM02", "DM04", "DM06"),
    "LS": ("LS01", "LS02", "LS03", "LS05", "LS07"),
    "MU": ("MU01", "MU03", "MU04", "MU06"),
    "TR": ("TR01", "TR02"),
    "HE": ("HE01",),
}
FAMILY_WEIGHTS = {"UM": 34, "SF": 18, "EP": 10, "DM": 10, "LS": 10, "MU": 10, "TR": 5, "HE": 3}
# Median minutes from acceptance to resolution, by family (log-normal, sigma 0.9).
RESOLUTION_MEDIAN_MIN = {"UM": 600, "SF": 480, "EP": 1440, "DM": 1800, "LS": 2880, "MU": 720, "TR": 720,
                         "HE": 720}
RESOLUTION_SIGMA = 0.9


# --- text ------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
ESTATES = ("金湖花园", "淳溪新村", "宝塔路小区", "镇兴家园", "双湖苑", "花山名邸", "古柏新苑", "凤山雅居", "丹阳湖畔",
           "荆山路小区", "通贤公寓", "芜太新城", "石臼湖苑", "学山小区", "汶溪佳园", "官溪村", "桥李村", "永胜新村",
           "天生桥花园", "固城湖畔", "漆桥老街", "东坝新村", "砖墙社区", "阳江苑", "梅园小区", "桠溪家园",
           "北岭小区", "南荡新村", "西舍花园", "沧溪村")
ROADS = ("宝塔路", "淳溪路", "镇兴路", "通贤街", "丹阳湖路", "双高路", "芜太路", "北岭路", "学山路", "石臼湖路",
         "荆山路", "古檀大道", "汶溪路", "天生桥大道", "花山路", "凤山路", "官溪路", "老街", "商贸街", "文化路")
TITLES = ("阿姨", "大爷", "奶奶", "师傅", "大姐", "老先生", "女士", "先生")
WHEN = ("今天上午", "今日下午", "上午", "下午", "傍晚", "中午前后", "今早", "午后")
VISIT_VERBS = ("入户走访", "上门走访", "走访", "到访", "上门看望", "回访", "入户了解", "登门走访")
HOUSEHOLDS = ("独居老人", "空巢老人家庭", "低保户", "残疾人家庭", "新搬入住户", "出租户", "困难家庭", "退役军人家庭",
              "留守儿童家庭", "重点关注对象", "党员户", "普通住户", "高龄老人", "租户")
STATES = ("身体状况良好", "精神状态不错", "血压偏高但稳定", "腿脚不便需人照顾", "近期刚出院", "生活能够自理",
          "情绪较为低落", "家中收拾得比较整洁", "屋内有些潮湿", "子女常回来看望", "平时由老伴照顾", "白天一人在家",
          "刚找到新工作", "正在办理低保复核", "孩子在外地读书", "与邻居相处融洽")
TOPICS = ("宣传防范电信诈骗知识", "协助安装国家反诈中心APP", "讲解城乡居民医保缴费", "提醒冬季用电用气安全",
          "宣传垃圾分类投放要求", "核对家庭人口信息", "告知社区网格员联系电话", "介绍居家养老服务政策",
          "提醒电动车不要进楼道充电", "宣传防汛避险常识", "登记疫苗接种情况", "讲解养老保险认证流程",
          "发放消防安全告知书", "宣传扫黑除恶举报渠道", "了解就业意向", "核实房屋出租登记")
NEEDS = ("希望楼道灯尽快修好", "反映楼上漏水", "咨询高龄补贴申领", "希望帮忙联系家政服务", "反映小区停车难",
         "询问社区食堂开放时间", "提出想参加社区书法班", "反映门口下水道有异味", "希望增加健身器材",
         "咨询残疾证换证", "想了解公租房申请条件", "反映夜里广场舞音量大", "暂无其他诉求", "表示目前没有困难")
FOLLOWS = ("已记录在册", "约定下次再来", "已转交社区办理", "留下联系方式", "答应帮忙跟进", "已当场解答",
           "将向居委会反映", "后续电话回访", "已联系物业处理", "会同志愿者上门", "已登记需求清单")

PROBLEMS = {
    "UM": ("路边占道摆摊", "人行道堆放建筑垃圾", "垃圾桶满溢无人清运", "路面坑洼积水", "井盖松动有响声",
           "路灯不亮", "共享单车堆积占道", "绿化带被踩踏损毁", "墙面张贴小广告", "店外乱堆货物"),
    "SF": ("楼道堆放纸箱杂物", "电动车在楼道内充电", "消防通道被车辆堵塞", "阳台花盆摆放有坠落风险",
           "飞线充电拖到楼下", "灭火器过期未换"),
    "EP": ("餐馆油烟直排扰民", "河道有漂浮垃圾", "田间焚烧秸秆", "工地裸土未覆盖扬尘大", "夜间施工噪声扰民"),
    "DM": ("邻居因漏水发生争执", "夫妻争吵影响邻里", "业主与物业因收费起纠纷", "顾客与商户因退货争执",
           "两户因占用公共过道发生口角", "租户与房东因押金起争执"),
    "LS": ("独居老人需要助餐服务", "困难家庭申请临时救助", "残疾人咨询辅具申领", "老人需要代办证件",
           "居民咨询养老服务补贴"),
    "MU": ("小区停水", "雨后路口积水排不出", "电梯停运困人", "公共座椅损坏"),
    "TR": ("车辆长期占用消防车道停放", "路口交通标志被撞倒"),
    "HE": ("垃圾堆放处蚊蝇孳生",),
}
EXTENTS = ("约{n}平方米", "长约{n}米", "共{n}处", "有{n}辆左右", "持续{n}天", "已有{n}户反映", "约{n}袋")
IMPACTS = ("影响行人通行", "存在安全隐患", "居民意见较大", "影响周边环境", "夜间尤其明显", "老人小孩经过不便",
           "雨天更加严重", "已多次出现", "周边商户也有反映", "影响消防车通行")
REQUESTS = ("请相关部门尽快处理", "建议安排清理", "需协调物业整改", "已现场劝导", "请予以核查", "建议加强巡查",
            "已拍照留存", "需进一步调解", "已告知当事人", "请派人维修")


def _pick(rng, pool):
    return pool[rng.randrange(len(pool))]


def visit_note(rng):
    """A visit note: an opening naming the household, then three to five of state, topic,
    need and follow-up clauses in varied order, with numbers where people write them."""
    opening = (f"{_pick(rng, WHEN)}{_pick(rng, VISIT_VERBS)}{_pick(rng, ESTATES)}{rng.randint(1, 36)}号楼"
               f"{rng.randint(1, 6)}单元{rng.randint(1, 26)}{rng.randint(1, 4):02d}室{_pick(rng, HOUSEHOLDS)}"
               f"{_pick(rng, SURNAMES)}{_pick(rng, TITLES)}")
    clauses = [f"{_pick(rng, ('老人', '户主', '其本人', '家中'))}{_pick(rng, STATES)}",
               f"今年{rng.randint(58, 96)}岁" if rng.random() < 0.5 else f"家中{rng.randint(1, 6)}口人",
               _pick(rng, TOPICS), f"{_pick(rng, ('住户', '本人', '家属'))}{_pick(rng, NEEDS)}",
               _pick(rng, FOLLOWS), _pick(rng, STATES), _pick(rng, TOPICS)]
    rng.shuffle(clauses)
    chosen = clauses[:rng.randint(3, 5)]
    return ",".join([opening, *chosen]) + "。"


def report_description(rng, fam):
    place = (f"{_pick(rng, ROADS)}{rng.randint(1, 388)}号{_pick(rng, ('附近', '门口', '对面', '东侧', '西侧', '路口'))}"
             if rng.random() < 0.5 else f"{_pick(rng, ESTATES)}{rng.randint(1, 36)}号楼{_pick(rng, ('旁', '北侧', '楼下', '单元门口'))}")
    parts = [f"{_pick(rng, WHEN)}巡查发现{place}{_pick(rng, PROBLEMS[fam])}",
             _pick(rng, EXTENTS).format(n=rng.randint(2, 30)), _pick(rng, IMPACTS), _pick(rng, IMPACTS),
             _pick(rng, REQUESTS), f"{rng.randint(7, 18)}点左右{_pick(rng, ('发现', '看到', '接到反映', '复核'))}"]
    tail = parts[1:]
    rng.shuffle(tail)
    return ",".join([parts[0], *tail[:rng.randint(2, 4)]]) + "。"


# --- place -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Grid:
    code: str
    column: int
    row: int

    @property
    def west(self):
        return ORIGIN[0] + self.column * GRID_LON

    @property
    def south(self):
        return ORIGIN[1] + self.row * GRID_LAT

    def contains(self, lon, lat):
        return self.west <= lon < self.west + GRID_LON and self.south <= lat < self.south + GRID_LAT


def grid_at(index):
    column, row = index % GRIDS_PER_ROW, index // GRIDS_PER_ROW
    return Grid(code=f"320118{row:03d}{column:03d}", column=column, row=row)


def grid_of_point(lon, lat):
    column = math.floor((lon - ORIGIN[0]) / GRID_LON)
    row = math.floor((lat - ORIGIN[1]) / GRID_LAT)
    return f"320118{row % 1000:03d}{column % 1000:03d}"


def _m_per_deg_lon(lat):
    return M_PER_DEG_LAT * math.cos(math.radians(lat))


# --- time ------------------------------------------------------------------------------

def _moment(seconds):
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _day_start(day):
    """UTC seconds at which Shanghai day number ``day`` (days since 1970-01-01) begins."""
    return day * DAY - SHANGHAI_OFFSET


def _weekday(day):
    return (day + 3) % 7     # Monday 0


# --- one worker ------------------------------------------------------------------------

class Worker:
    """One worker's quarter, built in lists (seconds), frozen into PersonFacts at the end."""

    def __init__(self, rng, person_id, grid, window):
        self.rng, self.person_id, self.grid, self.window = rng, person_id, grid, window
        self.account_id = f"acct-{person_id}"
        self.first_day = int((window.start + SHANGHAI_OFFSET) // DAY)
        self.last_day = int((window.end + SHANGHAI_OFFSET) // DAY)      # exclusive
        self.reported, self.resolved, self.patrols, self.visits = [], [], [], []
        self.given, self.received = [], []
        self.households = [(f"hh-{grid.code}-{n:04d}", rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5)))
                           for n in range(rng.randint(120, 320))]
        self.cycles = rng.random() < 0.3
        self.counter = 0
        self.leave = self._leave_days()
        self.campaign_week = self._campaign_week()

    def next_id(self, kind):
        self.counter += 1
        return f"{kind}-{self.person_id}-{self.counter:05d}"

    def _leave_days(self):
        weeks = self.rng.choices((0, 1, 2), weights=(65, 25, 10))[0]
        if not weeks:
            return set()
        first = self.rng.randrange(self.first_day, self.last_day - 7 * weeks)
        first -= _weekday(first)
        return set(range(first, first + 7 * weeks))

    def _campaign_week(self):
        if self.rng.random() >= 0.05:
            return set()
        first = self.rng.randrange(self.first_day, self.last_day - 7)
        first -= _weekday(first)
        return set(range(first, first + 7))

    def working_days(self):
        for day in range(self.first_day, self.last_day):
            if day in self.leave:
                continue
            weekday = _weekday(day)
            if weekday < 5 or (weekday == 5 and self.rng.random() < 0.15):
                yield day

    def work_moment(self, day, early=8.5, late=17.5):
        return _day_start(day) + self.rng.uniform(early, late) * HOUR

    def receipt(self, occurred, offline_until=None):
        if offline_until is not None and occurred < offline_until:
            return offline_until + self.rng.uniform(0, 600)
        return occurred + self.rng.choice((self.rng.uniform(1, 30), self.rng.uniform(30, 600)))

    # -- a day of work
    def build(self):
        for day in self.working_days():
            offline_until = None
            if self.rng.random() < 0.03:       # a dead spot: the day's queue syncs hours later
                offline_until = self.work_moment(day, 12, 19) + self.rng.uniform(1, 4) * HOUR
            self._patrol_round(day, offline_until)
            if day in self.campaign_week:
                continue
            for _ in range(_poisson(self.rng, 1.5)):
                evening = self.rng.random() < 0.08
                occurred = self.work_moment(day, 18, 20.8) if evening else self.work_moment(day)
                self.add_visit(occurred, self.receipt(occurred, offline_until))
            for _ in range(_poisson(self.rng, 0.45)):
                self.add_report(self.work_moment(day, 8.5, 17), on_the_spot=self.rng.random() < 0.12)
            for _ in range(_poisson(self.rng, 0.4)):
                self.add_assigned(self.work_moment(day, 8, 20))
        self._ratings()
        return self

    def _patrol_round(self, day, offline_until, grid=None):
        grid = grid or self.grid
        rng = self.rng
        speed = rng.uniform(9, 15) if self.cycles else rng.uniform(3.5, 5.5)     # km/h
        at = self.work_moment(day, 8.5, 15.5)
        lon = grid.west + rng.uniform(0.1, 0.9) * GRID_LON
        lat = grid.south + rng.uniform(0.1, 0.9) * GRID_LAT
        heading = rng.uniform(0, 2 * math.pi)
        for step in range(rng.randint(2, 5)):
            if step:
                metres = rng.uniform(60, 350)
                heading += rng.uniform(-0.8, 0.8)
                lon, lat = self._walk(grid, lon, lat, heading, metres)
                at += metres / (speed / 3.6) + rng.uniform(2, 10) * MINUTE
            plon, plat = lon, lat
            if rng.random() < 0.03:        # a step over the boundary street
                plon = grid.west - rng.uniform(5, 60) / _m_per_deg_lon(lat)
            noise = rng.gauss(0, 6)
            plon += noise / _m_per_deg_lon(lat)
            plat += rng.gauss(0, 6) / M_PER_DEG_LAT
            self.add_patrol(at, self.receipt(at, offline_until), round(plon, 6), round(plat, 6))

    def _walk(self, grid, lon, lat, heading, metres):
        lon2 = lon + metres * math.cos(heading) / _m_per_deg_lon(lat)
        lat2 = lat + metres * math.sin(heading) / M_PER_DEG_LAT
        # stay within the grid: reflect off its edges
        margin_lon, margin_lat = 0.03 * GRID_LON, 0.03 * GRID_LAT
        if not grid.west + margin_lon <= lon2 <= grid.west + GRID_LON - margin_lon:
            lon2 = lon - (lon2 - lon)
        if not grid.south + margin_lat <= lat2 <= grid.south + GRID_LAT - margin_lat:
            lat2 = lat - (lat2 - lat)
        return lon2, lat2

    # -- records
    def add_patrol(self, occurred, received, lon, lat):
        located = grid_of_point(lon, lat)
        self.patrols.append(PatrolFact(id=self.next_id("pt"), person_id=self.person_id, occurred_at=_moment(occurred),
                                       received_at=_moment(received), lon=lon, lat=lat,
                                       inside=self.grid.contains(lon, lat), located_grid_code=located))

    def add_visit(self, occurred, received, note=None, residents=None, household=None):
        rng = self.rng
        if household is None:
            household, residents_known = _pick(rng, self.households)
            residents = residents if residents is not None else residents_known
            if rng.random() < 0.04:
                residents = None                       # the household's register is not known
        text = note if note is not None else (visit_note(rng) if rng.random() < 0.9 else None)
        self.visits.append(VisitFact(id=self.next_id("vs"), person_id=self.person_id, household_id=household,
                                     grid_code=self.grid.code, occurred_at=_moment(occurred),
                                     received_at=_moment(received), notes_sig=textsig.signature(text) if text else None,
                                     household_residents=residents))

    def _category(self, families=None):
        families = families or FAMILY_WEIGHTS
        fam = self.rng.choices(list(families), weights=[FAMILY_WEIGHTS.get(f, 1) for f in families])[0]
        return fam, _pick(self.rng, CATEGORIES[fam])

    def add_report(self, reported, on_the_spot=False, resolved_after=None, fam=None):
        """An own report; on the spot: fixed by the reporter half an hour or so later;
        else a department's (most) or the reporter's own later."""
        rng = self.rng
        fam, category = (fam, _pick(rng, CATEGORIES[fam])) if fam else self._category()
        resolver = accepted = resolved = None
        if resolved_after is not None or on_the_spot:
            after = resolved_after if resolved_after is not None else rng.lognormvariate(math.log(35), 0.5) * MINUTE
            resolver, accepted, resolved = self.person_id, reported + after * 0.2, reported + after
        elif rng.random() < 0.35:
            resolver, accepted = self.person_id, reported + rng.uniform(5, 90) * MINUTE
            resolved = self._resolution(accepted, fam)
        elif rng.random() < 0.8:
            resolver, accepted = f"dept-{rng.randrange(40)}", reported + rng.uniform(10, 240) * MINUTE
            resolved = self._resolution(accepted, fam)
        ticket = self._ticket(category, "grid_patrol", self.person_id, resolver, reported, accepted, resolved,
                              report_description(rng, fam))
        self.reported.append(ticket)
        if resolver == self.person_id and resolved is not None:
            self.resolved.append(ticket)
        return ticket

    def add_assigned(self, reported, fam=None, minutes=None, resolved_at=None):
        """A resident's or the hotline's report, dispatched to this worker and resolved."""
        rng = self.rng
        fam, category = (fam, _pick(rng, CATEGORIES[fam])) if fam else self._category()
        accepted = reported + rng.uniform(5, 180) * MINUTE
        if resolved_at is not None:
            resolved = resolved_at
        elif minutes is not None:
            resolved = accepted + minutes * MINUTE
        else:
            resolved = self._resolution(accepted, fam)
        source = rng.choice(("resident_report", "hotline_12345", "resident_report", "department_referral"))
        ticket = self._ticket(category, source, None, self.person_id, reported, accepted, resolved,
                              report_description(rng, fam))
        self.resolved.append(ticket)
        return ticket

    def _resolution(self, accepted, fam):
        """The moment of resolution: the family's time, in working hours."""
        resolved = accepted + self.rng.lognormvariate(math.log(RESOLUTION_MEDIAN_MIN[fam]), RESOLUTION_SIGMA) * MINUTE
        local = (resolved + SHANGHAI_OFFSET) % DAY / HOUR
        day = int((resolved + SHANGHAI_OFFSET) // DAY)
        if not 8 <= local < 20 or _weekday(day) == 6:
            day += 1 if local >= 8 else 0
            while _weekday(day) == 6:
                day += 1
            resolved = self.work_moment(day)
        return resolved

    def _ticket(self, category, source, reporter, resolver, reported, accepted, resolved, text):
        done = resolved is not None
        return TicketFact(ticket_id=self.next_id("tk"), category=category, source=source,
                          reporter_person_id=reporter, responsible_person_id=resolver if done else None,
                          resolved_by_person_id=resolver if done else None, reported_at=_moment(reported),
                          accepted_at=_moment(accepted) if accepted is not None else None,
                          resolved_at=_moment(resolved) if done else None,
                          status="resolved" if done else "accepted" if accepted else "reported",
                          outcome="fixed" if done else None, description_sig=textsig.signature(text),
                          grid_code=self.grid.code)

    # -- ratings
    def _ratings(self):
        rng, end = self.rng, self.window.end
        for n in range(rng.randint(5, 16)):
            if rng.random() < 0.1:
                created = end - rng.uniform(0.5, 14) * DAY
            else:
                created = end - rng.uniform(14, 3 * 365) * DAY
            score = rng.choices((5, 4, 3, 2, 1), weights=(55, 30, 10, 4, 1))[0]
            self.add_received(f"res-{self.person_id}-{n}", "resident", score, 5, created)
        self.add_received(f"dept-acct-{rng.randrange(40)}", "department", rng.choice((3, 4, 4, 5)), 5,
                          end - rng.uniform(400, 2000) * DAY)
        self.rate(self, "self", rng.choice((4, 5)))

    def rating_moment(self):
        return self.window.end - self.rng.uniform(0.2, 20) * DAY

    def add_received(self, account, kind, score, scale, account_created, at=None):
        rating = RatingFact(id=self.next_id("rt"), rater_account_id=account, rater_person_id=None,
                            subject_person_id=self.person_id,
                            kind=kind, score=score, scale_max=scale,
                            created_at=_moment(at if at is not None else self.rating_moment()),
                            rater_account_created_at=_moment(account_created))
        self.received.append(rating)
        return rating

    def rate(self, subject, kind, score, scale=5):
        rating = RatingFact(id=self.next_id("rt"), rater_account_id=self.account_id, rater_person_id=self.person_id,
                            subject_person_id=subject.person_id, kind=kind, score=score, scale_max=scale,
                            created_at=_moment(self.rating_moment()),
                            rater_account_created_at=_moment(self.window.start - 500 * DAY))
        self.given.append(rating)
        subject.received.append(rating)
        return rating

    def freeze(self):
        by_time = lambda fact: fact.occurred_at  # noqa: E731
        return PersonFacts(person_id=self.person_id, grid_codes=(self.grid.code,),
                           tickets_reported=tuple(sorted(self.reported, key=lambda t: t.reported_at)),
                           tickets_resolved=tuple(sorted(self.resolved, key=lambda t: t.resolved_at)),
                           patrols=tuple(sorted(self.patrols, key=by_time)),
                           visits=tuple(sorted(self.visits, key=by_time)),
                           ratings_given=tuple(self.given), ratings_received=tuple(self.received))


def _poisson(rng, mean):
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


# --- a district ------------------------------------------------------------------------

VILLAGE_SIZE = (8, 15)     # workers a chief rates (村(社区) rating, 360's village part)


def _district(seed, workers, period, prefix="w", first_grid=0):
    window = window_of(str(parse_period(period)))
    built = []
    for index in range(workers):
        rng = random.Random(f"{seed}:{prefix}:{index}")
        built.append(Worker(rng, f"{prefix}{seed}-{index:05d}", grid_at(first_grid + index), window).build())
    # villages: the first worker of each is its chief and rates the others
    rng = random.Random(f"{seed}:{prefix}:villages")
    start = 0
    while start < len(built):
        size = rng.randint(*VILLAGE_SIZE)
        chief, members = built[start], built[start + 1:start + size]
        for member in members:
            chief.rate(member, "village", rng.choices((5, 4, 3), weights=(40, 48, 12))[0])
        start += size
    return built


def honest_district(seed, workers=300, period=DEFAULT_PERIOD):
    """``workers`` honest workers, one grid each, for ``period`` (seeded: the same seed,
    the same district)."""
    return [worker.freeze() for worker in _district(seed, workers, period)]


# --- fabrication -----------------------------------------------------------------------

def _month_bounds(window, which=1):
    _, start, end = window.months[min(which, len(window.months) - 1)]
    return start, end


def _spread_days(worker, count, start=None, end=None):
    """``count`` distinct working days (Mon-Fri) between start and end (seconds)."""
    first = int(((start or worker.window.start) + SHANGHAI_OFFSET) // DAY)
    last = int(((end or worker.window.end) + SHANGHAI_OFFSET) // DAY)
    days = [d for d in range(first, last) if _weekday(d) < 5]
    return sorted(worker.rng.sample(days, count))


def _scaled(blatant, strength, least=1):
    """How many of a fabrication's acts at ``strength``: ``blatant`` at 1."""
    return max(least, round(blatant * strength))


def _fab_impossible_rate(worker, check, strength):
    # a dozen disputes "mediated" within fifty minutes, on one afternoon
    day = _spread_days(worker, 1)[0]
    at = _day_start(day) + 15 * HOUR
    for n in range(_scaled(12, strength)):
        reported = at - worker.rng.uniform(2, 9) * DAY
        worker.add_assigned(reported, fam="DM", resolved_at=at + n * 4.2 * MINUTE)


def _fab_deadline_burst(worker, check, strength):
    # a month of check-ins, its visits and reports typed in the last forty minutes;
    # fainter: only that share of the month's records, the rest entered as they happened
    start, end = _month_bounds(worker.window)
    rng = worker.rng
    inside = lambda seconds: start <= seconds < end and rng.random() < strength   # noqa: E731
    worker.visits = [v for v in worker.visits if not inside(v.occurred_at.timestamp())]
    worker.reported = [t for t in worker.reported if not inside(t.reported_at.timestamp())]
    kept = {t.ticket_id for t in worker.reported}
    worker.resolved = [t for t in worker.resolved if t.reporter_person_id != worker.person_id
                       or t.ticket_id in kept]
    days = _spread_days(worker, _scaled(16, strength), start, end - 2 * DAY)
    for day in days + days[::2]:
        occurred = worker.work_moment(day)
        worker.add_visit(occurred, end - rng.uniform(1, 40) * MINUTE)
    for _ in range(_scaled(8, strength)):
        worker.add_report(end - rng.uniform(1, 40) * MINUTE)


def _fab_checkin_only(worker, check, strength):
    # five weeks of patrol check-ins every weekday and nothing else
    weeks = _scaled(5, strength)
    first = int((worker.window.start + SHANGHAI_OFFSET) // DAY) + 21
    first -= _weekday(first)
    start, end = _day_start(first), _day_start(first + 7 * weeks)
    inside = lambda moment: moment is not None and start <= moment.timestamp() < end   # noqa: E731
    worker.visits = [v for v in worker.visits if not inside(v.occurred_at)]
    worker.reported = [t for t in worker.reported if not inside(t.reported_at) and not inside(t.resolved_at)]
    worker.resolved = [t for t in worker.resolved if not inside(t.resolved_at) and not inside(t.reported_at)]
    worker.patrols = [p for p in worker.patrols if not inside(p.occurred_at)]
    for day in range(first, first + 7 * weeks):
        if _weekday(day) < 5:
            worker._patrol_round(day, None)


def _fab_implausible_movement(worker, check, strength):
    if check in (None, "outside"):
        # every other day's round walked in the neighbouring grid (fainter: fewer days)
        neighbour = Grid(code="", column=worker.grid.column + 1, row=worker.grid.row)
        for day in list(worker.working_days())[::max(2, round(2 / strength))]:
            worker._patrol_round(day, None, grid=neighbour)
            worker.patrols = [p for p in worker.patrols if not (
                p.inside and _day_start(day) <= p.occurred_at.timestamp() < _day_start(day + 1))]
    if check in (None, "speed"):
        # check-ins eight kilometres away ten minutes after one in the grid, and back
        for day in _spread_days(worker, _scaled(4, strength)):
            at = worker.work_moment(day, 9, 10)
            home = (worker.grid.west + worker.rng.uniform(0.2, 0.8) * GRID_LON,
                    worker.grid.south + worker.rng.uniform(0.2, 0.8) * GRID_LAT)
            worker.add_patrol(at, at + 20, round(home[0], 6), round(home[1], 6))
            worker.add_patrol(at + 10 * MINUTE, at + 10 * MINUTE + 20, round(home[0] + 0.16, 6), round(home[1], 6))
            worker.add_patrol(at + 20 * MINUTE, at + 20 * MINUTE + 20, round(home[0] + 0.0003, 6),
                              round(home[1] + 0.0002, 6))
    if check in (None, "repeated_point"):
        # the same coordinates, to the last decimal, on six days
        point = (round(worker.grid.west + 0.37 * GRID_LON, 6), round(worker.grid.south + 0.61 * GRID_LAT, 6))
        for day in _spread_days(worker, _scaled(6, strength, least=2)):
            at = worker.work_moment(day, 16, 16.5)
            worker.add_patrol(at, at + 15, *point)


def _fab_too_fast(worker, check, strength):
    # tickets from residents "resolved" two to four minutes after acceptance
    for day in _spread_days(worker, _scaled(14, strength)):
        worker.add_assigned(worker.work_moment(day), fam=worker.rng.choice(("UM", "SF", "LS")),
                            minutes=worker.rng.uniform(1.5, 4))


COPIED_NOTE = "入户走访{b}号楼住户,了解家庭基本情况,宣传防范电信诈骗知识,住户表示无其他诉求,已登记在册并拍照留存。"


def _fab_copied_text(worker, check, strength, copies=10):
    for day in _spread_days(worker, _scaled(copies, strength, least=2)):
        occurred = worker.work_moment(day)
        worker.add_visit(occurred, worker.receipt(occurred), note=COPIED_NOTE.format(b=worker.rng.randint(1, 9)))


def _fab_self_dealing(worker, check, strength):
    # own reports resolved by the reporter two to eight minutes later
    for day in _spread_days(worker, _scaled(18, strength)):
        worker.add_report(worker.work_moment(day), resolved_after=worker.rng.uniform(2, 8) * MINUTE)


def _fab_one_sided_ratings(worker, check, strength):
    rng, end = worker.rng, worker.window.end
    if check in (None, "top_marks_only"):
        # a chief giving everyone full marks, themself too
        worker.given = []
        worker.received = [r for r in worker.received if r.kind != "self"]
        worker.rate(worker, "self", 5)
        for n in range(_scaled(12, strength)):
            subject = Worker(random.Random(f"{worker.person_id}:{n}"), f"{worker.person_id}-m{n}", worker.grid,
                             worker.window)
            worker.rate(subject, "village", 5)
    if check in (None, "bulk_accounts"):
        # eight resident accounts made within half an hour three days before the end
        base = end - 3 * DAY - 5 * HOUR
        for n in range(_scaled(8, strength)):
            worker.add_received(f"bulk-{worker.person_id}-{n}", "resident", 5, 5, base + n * 3.5 * MINUTE,
                                at=base + rng.uniform(1, 3) * HOUR)


def _fab_impossible_visit(worker, check, strength):
    rng = worker.rng
    if check in (None, "night"):
        for day in _spread_days(worker, _scaled(4, strength)):
            occurred = _day_start(day) + rng.uniform(23, 26.5) * HOUR
            worker.add_visit(occurred, worker.receipt(occurred))
    if check in (None, "no_residents"):
        for n, day in enumerate(_spread_days(worker, _scaled(5, strength))):
            occurred = worker.work_moment(day)
            worker.add_visit(occurred, worker.receipt(occurred), residents=0,
                             household=f"hh-{worker.grid.code}-empty-{n}")


FABRICATIONS = {
    "impossible_rate": _fab_impossible_rate,
    "deadline_burst": _fab_deadline_burst,
    "checkin_only": _fab_checkin_only,
    "implausible_movement": _fab_implausible_movement,
    "too_fast": _fab_too_fast,
    "copied_text": _fab_copied_text,
    "self_dealing": _fab_self_dealing,
    "one_sided_ratings": _fab_one_sided_ratings,
    "impossible_visit": _fab_impossible_visit,
}


def fabricated(pattern, seed, check=None, period=DEFAULT_PERIOD, first_grid=2000, strength=1.0):
    """One worker's honest-looking quarter with ``pattern`` laid on (for copies across
    people, ``check="across"``: three workers sharing one pasted note, each a few times).
    ``strength`` (0-1] scales the fabrication: 1 is the blatant case the seed names
    (a dozen disputes in fifty minutes, five weeks of check-ins only); a quarter of it
    is a faint one, some of which the default thresholds let pass by design."""
    if pattern not in FABRICATIONS:
        raise unknown_pattern(pattern)
    if check is not None and check not in CHECKS.get(pattern, ()):
        raise ValueError(f"{pattern} has no check {check!r}")
    if not 0 < strength <= 1:
        raise ValueError(f"strength is in (0, 1]: {strength!r}")
    window = window_of(str(parse_period(period)))
    count = 3 if (pattern, check) == ("copied_text", "across") else 1
    fakes = []
    for index in range(count):
        rng = random.Random(f"{seed}:fab:{pattern}:{check}:{index}")
        worker = Worker(rng, f"f{seed}-{pattern}-{check or 'all'}-{index}", grid_at(first_grid + index), window)
        worker.build()
        if count > 1:
            _fab_copied_text(worker, check, strength, copies=3)
        else:
            FABRICATIONS[pattern](worker, check, strength)
        fakes.append(worker.freeze())
    return fakes


# --- a mixed population, and how well the detectors tell it apart -----------------------

@dataclass(frozen=True)
class Population:
    persons: tuple           # of PersonFacts
    truth: dict              # person_id -> the pattern laid on, None for honest
    strength: dict = None    # person_id -> the strength of the fabrication laid on (fabricators only)


STRENGTHS = (1.0,)                          # mixed_district's default: the blatant cases
GRADED_STRENGTHS = (0.25, 0.5, 0.75, 1.0)   # from faint to blatant


def mixed_district(seed, workers=300, share=0.05, period=DEFAULT_PERIOD, strengths=STRENGTHS):
    """``workers`` workers of whom ``share`` are fabricators, the patterns taken in turn,
    and for each pattern the ``strengths`` in turn."""
    fakes_wanted = max(1, round(workers * share))
    honest = honest_district(seed, workers - fakes_wanted, period)
    truth = {person.person_id: None for person in honest}
    strength_of = {}
    persons = list(honest)
    made = 0
    while made < fakes_wanted:
        pattern = PATTERNS[made % len(PATTERNS)]
        strength = strengths[(made // len(PATTERNS)) % len(strengths)]
        for fake in fabricated(pattern, f"{seed}-{made}", period=period, first_grid=workers + 10 * made,
                               strength=strength):
            if made < fakes_wanted:
                persons.append(fake)
                truth[fake.person_id] = pattern
                strength_of[fake.person_id] = strength
                made += 1
    random.Random(f"{seed}:shuffle").shuffle(persons)
    return Population(persons=tuple(persons), truth=truth, strength=strength_of)


def evaluate(population, flags):
    """Precision and recall of ``flags`` over a population whose truth is known: a person
    counts as caught when flagged with their own pattern; a flag on an honest person, or
    of another pattern, is a false one.

    ``{"persons", "fabricators", "flagged_persons", "caught", "precision", "recall",
    "flags", "false_flags", "by_pattern": {pattern: {"fabricators", "caught", "flags",
    "false_flags"}}, "by_strength": {strength: {"fabricators", "caught", "recall"}}}``
    (by_strength: when the population knows its strengths)."""
    truth = population.truth
    by_pattern = {pattern: {"fabricators": 0, "caught": 0, "flags": 0, "false_flags": 0} for pattern in PATTERNS}
    for pattern in truth.values():
        if pattern:
            by_pattern[pattern]["fabricators"] += 1
    caught, flagged, false_flags = set(), set(), 0
    for flag in flags:
        flagged.add(flag.person_id)
        by_pattern[flag.pattern]["flags"] += 1
        if truth.get(flag.person_id) == flag.pattern:
            caught.add(flag.person_id)
        else:
            false_flags += 1
            by_pattern[flag.pattern]["false_flags"] += 1
    for person_id in caught:
        by_pattern[truth[person_id]]["caught"] += 1
    fabricators = sum(1 for pattern in truth.values() if pattern)
    rightly = sum(1 for person_id in flagged if truth.get(person_id))
    by_strength = {}
    for person_id, strength in sorted((population.strength or {}).items(), key=lambda item: item[1]):
        band = by_strength.setdefault(strength, {"fabricators": 0, "caught": 0})
        band["fabricators"] += 1
        band["caught"] += person_id in caught
    for band in by_strength.values():
        band["recall"] = round(band["caught"] / band["fabricators"], 4)
    return {"persons": len(truth), "fabricators": fabricators, "flagged_persons": len(flagged),
            "caught": len(caught),
            "precision": round(rightly / len(flagged), 4) if flagged else 1.0,
            "recall": round(len(caught) / fabricators, 4) if fabricators else 1.0,
            "flags": len(flags), "false_flags": false_flags, "by_pattern": by_pattern, "by_strength": by_strength}
