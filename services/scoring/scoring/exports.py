"""The sheet a street posts (公示): an assessment's ranking with Chinese headers, as XLSX
or CSV (UTF-8 with a byte-order mark, which Excel needs to read Chinese), written by
common.sheets as every report is."""
from common.sheets import FORMATS, Sheet, to_bytes
from scoring.assessments import part_shares

SHEET_NAME = "考核结果"
BAND_ZH = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}


def sheet(assessment, plan, rows, names, grids, node_names=None):
    """(title, header, lines): ``assessment`` its view (assessments.view), ``rows`` the
    stored results (rank order), ``names`` {person id: name}, ``grids`` {code: {"name", ...}},
    ``node_names`` the breakdown's node names by path (the assessment's summary)."""
    node_names = node_names or {}
    parts = [(part["key"], (part.get("name") or node_names.get(f"total/{part['key']}") or {}).get("zh")
              or part["key"]) for part in plan["parts"]]
    bands = {band["key"]: band.get("zh") or BAND_ZH.get(band["key"], band["key"]) for band in plan.get("bands", ())}
    worker = plan["subject"] == "worker"
    header = ["排名", "网格编码", "网格名称"] + (["姓名"] if worker else []) + \
        ["得分", "排名得分", "等次", "绩效档次", "表彰/提醒", "数据量"] + [f"{label}（得分）" for _, label in parts]
    lines = []
    for row in rows:
        by_part = part_shares(row)
        mark = "表彰" if row.commended else ("提醒谈话" if row.reminded else "")
        line = [row.rank, row.grid_code, grids.get(row.grid_code, {}).get("name", "")]
        if worker:
            line.append(names.get(row.subject_id, ""))
        line += [round(row.score, 2), round(row.ranked_score, 2), bands.get(row.band, row.band or ""),
                 row.pay_tier or "", mark, row.volume]
        line += [round(by_part[key], 2) if key in by_part else "" for key, _ in parts]
        lines.append(line)
    name = (plan.get("name") or {}).get("zh") or plan["code"]
    title = f"{name} {assessment['period']} {assessment['scope']} 第{assessment['version']}版" + \
        ("" if assessment["status"] == "published" else "（草稿，未公示）")
    return title, header, lines


def as_csv(title, header, lines):
    return to_bytes([Sheet(SHEET_NAME, header, lines, title=title)], "csv")


def as_xlsx(title, header, lines):
    return to_bytes([Sheet(SHEET_NAME, header, lines, title=title)], "xlsx")
