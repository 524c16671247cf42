"""Roster import: CSV (UTF-8 or GBK) and XLSX with Chinese headers, all or nothing."""
import io

from openpyxl import Workbook

from idnumbers import fresh_id_number as id_number

API = "/api/v1"
HEADER = ["姓名", "性别", "身份证号码", "手机号码", "政治面貌", "是否会用智能手机", "网格编码", "岗位", "任职开始日期"]


def csv_bytes(rows, encoding="utf-8-sig"):
    return "\n".join(",".join(row) for row in [HEADER] + rows).encode(encoding)


def upload(stack, token, content, content_type="text/csv"):
    return stack.call("POST", f"{API}/staff/roster", token, data=content, headers={"Content-Type": content_type})


def persons(stack):
    return stack.db_rows("people", "SELECT COUNT(*) AS n FROM persons")[0]["n"]


def test_a_good_roster_imports_people_and_their_posts(stack):
    token = stack.login()
    rows = [["林小燕", "女", id_number(gender="女"), "13812345678", "中共党员", "是", "320508014021002", "专职网格员", "2026-03-01"],
            ["黄志强", "男", id_number(gender="男"), "", "群众", "是", "320508014021002", "兼职网格员", "2026/03/01"],
            ["何伟", "男", id_number(gender="男"), "13987654321", "", "否", "320508014021002", "网格长", ""]]
    response = upload(stack, token, csv_bytes(rows, "gb18030"))
    assert response.status_code == 201, response.text
    assert response.json() == {"imported": 3, "assignments": 3}
    posts = stack.call("GET", f"{API}/assignments?root=320508014021002", token).json()["items"]
    assert {"专职网格员", "兼职网格员", "网格长"} <= {p["role_label"] for p in posts}

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["邵敏", "女", id_number(gender="女"), "13700001111", "否", "是", "320508014021001", "楼栋长", "2026-04-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = upload(stack, token, buffer.getvalue(),
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert xlsx.status_code == 201 and xlsx.json()["imported"] == 1


def test_a_bad_roster_reports_every_row_and_imports_nothing(stack):
    token = stack.login()
    twice = id_number(gender="男")
    rows = [["甲", "男", twice, "13812345678", "是", "是", "320508014021002", "专职网格员", "2026-03-01"],
            ["乙", "男", twice, "", "否", "是", "320508014021002", "兼职网格员", ""],
            ["丙", "女", "110105194912310021", "", "否", "是", "320508014021002", "网格员长", ""],
            ["丁", "女", id_number(gender="女"), "12345", "也许", "是", "320508014021999", "网格长", "明天"],
            ["", "男", id_number(gender="男"), "", "否", "是", "", "网格长", ""]]
    before = persons(stack)
    response = upload(stack, token, csv_bytes(rows))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "ROSTER_REJECTED" and "nothing was imported" in body["message"]
    problems = {(e["row"], e["column"]) for e in body["details"]["errors"]}
    assert problems >= {(3, "身份证号码"), (4, "身份证号码"), (4, "岗位"), (5, "手机号码"), (5, "政治面貌"),
                        (5, "网格编码"), (5, "任职开始日期"), (6, "姓名"), (6, "网格编码")}
    assert 2 not in {e["row"] for e in body["details"]["errors"]}
    mismatched = upload(stack, token, csv_bytes([["戊", "女", id_number(gender="男"), "", "否", "是",
                                                  "320508014021002", "网格长", ""]]))
    assert mismatched.status_code == 400
    assert [(e["row"], e["column"]) for e in mismatched.json()["details"]["errors"]] == [(2, "性别")]
    assert persons(stack) == before
    missing = upload(stack, token, "姓名,岗位\n张三,网格长\n".encode())
    assert missing.status_code == 400 and {e["column"] for e in missing.json()["details"]["errors"]} == {
        "身份证号码", "网格编码"}


def test_a_roster_posts_no_full_time_worker_the_recruitment_rules_refuse(stack):
    """A roster has no override: a full-time worker over the age limit or without a
    smartphone is a row error naming the rule; the same people in posts the rules leave
    alone (part-time) would pass. Nothing is imported."""
    token = stack.login()
    before = persons(stack)
    rows = [["甘老伯", "男", id_number("19600101", gender="男"), "", "群众", "是", "320508014021002", "专职网格员", ""],
            ["不用手机", "女", id_number(gender="女"), "", "群众", "否", "320508014021002", "专职网格员", ""],
            ["兼职老伯", "男", id_number("19600101", gender="男"), "", "群众", "否", "320508014021002", "兼职网格员", ""]]
    response = upload(stack, token, csv_bytes(rows))
    assert response.status_code == 400, response.text
    errors = response.json()["details"]["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "身份证号码"), (3, "是否会用智能手机")]
    assert all("recruitment rule" in e["reason"] for e in errors)
    assert persons(stack) == before


def test_a_roster_sent_as_a_job_ends_with_the_imports_answer(stack):
    """`Prefer: respond-async` (or a file past ROSTER_IMPORT_JOB_BYTES): 202 and a job."""
    token = stack.login()
    rows = [[f"作业{n}", "", id_number(), "", "群众", "是", "320508014021002", "兼职网格员", "2026-03-01"]
            for n in range(3)]
    started = stack.call("POST", f"{API}/staff/roster", token, data=csv_bytes(rows),
                         headers={"Content-Type": "text/csv", "Prefer": "respond-async"})
    assert started.status_code == 202, started.text
    assert started.json()["id"].startswith("people-") and started.json()["kind"] == "roster_import"
    job = stack.wait_for(lambda: (lambda j: j if j["status"] in ("succeeded", "failed") else None)(
        stack.call("GET", started.headers["Location"], token).json()))
    assert (job["status"], job["result"]) == ("succeeded", {"imported": 3, "assignments": 3}), job
    bad = stack.call("POST", f"{API}/staff/roster", token, data=csv_bytes([["", "", "x", "", "", "", "", "", ""]]),
                     headers={"Content-Type": "text/csv", "Prefer": "respond-async"})
    failed = stack.wait_for(lambda: (lambda j: j if j["status"] in ("succeeded", "failed") else None)(
        stack.call("GET", bad.headers["Location"], token).json()))
    assert failed["status"] == "failed" and failed["error"]["error"] == "ROSTER_REJECTED"
