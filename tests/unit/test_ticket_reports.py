"""The reports a district sends up: the statistics as sheets with Chinese (or English)
headers, and the ticket list paged out for an export, within the caller's reach, at
most MAX_EXPORT_ROWS tickets."""
import pytest
from nameko.testing.services import worker_factory

from common.errors import Forbidden, InvalidInput
from common.pii import PiiCipher
from ticket_month import EAST, HOUR, NOVEMBER, ROOT, T0, WEST, fill
from tickets import MIGRATIONS_DIR, reports, statistics
from tickets.actions import Settings
from tickets.calendar import WorkCalendar
from tickets.catalogue import DEPARTMENTS, Catalogue
from tickets.service import TicketsService


@pytest.fixture(params=["sqlite", "scratch"])
def db(request, tmp_path, open_db):
    handle = open_db("tickets", MIGRATIONS_DIR, f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite" else None)
    fill(handle)
    return handle


def figures(db):
    with db.read() as session:
        return statistics.ticket_statistics(session, ROOT, start_day=NOVEMBER[0], end_day=NOVEMBER[1],
                                            now=T0 + 200 * HOUR, children=[WEST, f"{ROOT}046"])


def test_the_statistics_as_sheets_in_chinese_and_english(db):
    answer = statistics.name_breakdowns(figures(db), grids={WEST: "西社区"}, categories={}, departments=DEPARTMENTS)
    title, stem, sheets = reports.statistics_sheets(answer, root_name="金阊街道", lang="zh", labels_of_categories={})
    assert title == "金阊街道 (320508019) 事件统计 2026-11-01 至 2026-11-30"
    assert stem == "事件统计_320508019_2026-11-01_2026-11-30"
    assert [sheet["name"] for sheet in sheets] == ["总体情况", "分项统计", "按网格", "按类别", "按部门"]
    summary = sheets[0]
    assert summary["header"][:4] == ["指标", "单位", "本期", "上期 (2026-10-01~2026-10-31)"]
    assert summary["header"][6] == "去年同期 (2025-11-01~2025-11-30)" and summary["header"][7] == "同比增减"
    rows = {row[0]: row for row in summary["rows"]}
    assert rows["事件总数"] == ["事件总数", "件", 5, 2, 3, 150.0, 5, 0, 0.0]
    assert rows["办结率"][2:6] == [60.0, 100.0, -40.0, -40.0], "rates in percent, changes in points"
    assert rows["超期未办结"][3:] == [None] * 6
    assert ["状态", "处置中", 1] in sheets[1]["rows"] and ["等级", "日常", 5] in sheets[1]["rows"]
    assert sheets[2]["rows"][0][:4] == [WEST, "西社区", 4, 2] and sheets[2]["rows"][2][2:4] == [0, 0]
    assert sheets[4]["rows"] == [["environment", "区生态环境局", 1, 1, 1, 1, 0, 0, 0.0, 1]]
    _, stem, english = reports.statistics_sheets(answer, root_name=None, lang="en", labels_of_categories={})
    assert english[0]["header"][:3] == ["figure", "unit", "this period"] and stem.startswith("ticket-statistics_")
    assert ["status", "handling", 1] in english[1]["rows"]


# --- through the service -----------------------------------------------------------------------

class FakeGrid:
    names = {ROOT: "金阊街道", WEST: "西社区", f"{WEST}001": "西一网格", f"{EAST}001": "东一网格"}

    def child_grids(self, parent=None):
        return [{"code": WEST, "name": "西社区", "level": "community"}] if parent == ROOT else []

    def grid_labels(self, codes):
        return {code: {"name": self.names[code]} for code in codes if code in self.names}


def service(db):
    return worker_factory(TicketsService, db=db, settings=Settings(Catalogue(), WorkCalendar()),
                          cipher=PiiCipher(bytes(32)), grid=FakeGrid())


def leader(scope=ROOT):
    return {"account_id": "a1", "username": "leader", "roles": ["town_leader"], "scope": scope}


def test_the_service_names_the_grids_and_writes_the_report(db):
    answer = service(db).ticket_statistics(ROOT, "2026-11-01", "2026-11-30")
    grids = {row["code"]: row["name"] for row in answer["breakdowns"]["grids"]}
    assert grids == {WEST: "西社区", EAST: None}, "a grid no longer active has no name from child_grids"
    assert {row["code"]: row["name"] for row in answer["breakdowns"]["categories"]}["UM01"] == "占道经营"
    report = service(db).statistics_report(ROOT, "2026-11-01", "2026-11-30", lang="en")
    assert report["title"] == "金阊街道 (320508019) ticket statistics 2026-11-01 to 2026-11-30"
    with pytest.raises(InvalidInput):
        service(db).statistics_report(ROOT, "2026-11-01", "2026-11-30", lang="fr")


def test_an_export_pages_through_the_list_within_reach(db):
    filters = {"root": ROOT, "start": "2026-11-01", "end": "2026-11-30"}
    first = service(db).export_tickets(filters, leader(), limit=2)
    assert first["total"] == 5 and len(first["rows"]) == 2 and first["next"]
    assert first["header"][:4] == ["事件编号", "上报时间", "网格编码", "网格名称"] and first["sheet_name"] == "事件清单"
    assert first["filename_stem"] == "事件清单_320508019_2026-11-01_2026-11-30"
    assert first["title"].startswith("金阊街道 (320508019) 事件清单 2026-11-01 至 2026-11-30 (导出于 ")
    rows, page = list(first["rows"]), first
    while page["next"]:
        page = service(db).export_tickets(filters, leader(), before=page["next"], limit=2)
        assert "total" not in page
        rows += page["rows"]
    assert [row[0] for row in rows] == ["20261103-00005", "20261102-00004", "20261102-00003", "20261102-00002",
                                        "20261102-00001"], "newest first, each once"
    one = dict(zip(first["header"], rows[-1]))
    assert one["上报时间"] == "2026-11-02 09:00" and one["网格名称"] == "西一网格" and one["事件类别"] == "占道经营"
    assert one["状态"] == "已结案" and one["按期办结"] == "是" and one["满意度"] == 5
    assert one["报告人"] == "张三" and one["联系电话"] == "139****5678", "masked, as the list shows it"
    assert dict(zip(first["header"], rows[2]))["牵头部门"] == "区生态环境局"
    english = service(db).export_tickets(dict(filters, status=["handling"]), leader(), lang="en")
    assert english["header"][8] == "status" and english["rows"][0][8] == "handling" and english["total"] == 1


def test_an_export_beyond_reach_or_too_large_is_refused_before_any_row(db, monkeypatch):
    with pytest.raises(Forbidden) as refused:
        service(db).export_tickets({"root": ROOT}, leader(scope="320508014"))
    assert refused.value.code == "OUT_OF_SCOPE"
    monkeypatch.setattr(reports, "MAX_EXPORT_ROWS", 4)
    with pytest.raises(InvalidInput) as large:
        service(db).export_tickets({"root": ROOT, "start": "2026-11-01", "end": "2026-11-30"}, leader())
    assert large.value.code == "EXPORT_TOO_LARGE" and large.value.details == {"tickets": 5, "max_rows": 4}


def test_every_word_of_the_loop_has_its_labels():
    from tickets import labels, schemas, workflow
    from tickets.catalogue import GRADES
    for kind, codes in (("status", workflow.STATES), ("grade", GRADES), ("source", schemas.SOURCES),
                        ("level", workflow.LEVELS), ("outcome", workflow.OUTCOMES)):
        assert sorted(labels.VOCABULARY[kind]) == sorted(codes), kind
        assert all(zh and en and zh != en for zh, en in labels.VOCABULARY[kind].values()), kind
