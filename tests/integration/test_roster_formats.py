"""Rosters as offices send them: XLS and ODS besides CSV and XLSX; and malformed
files, each a 400 saying what is wrong, nothing stored, nothing of them in the logs."""
import io
import zipfile
from xml.sax.saxutils import escape

import xlwt
from openpyxl import Workbook

from idnumbers import fresh_id_number as id_number

API = "/api/v1"
HEADER = ["姓名", "性别", "身份证号码", "手机号码", "政治面貌", "是否会用智能手机", "网格编码", "岗位", "任职开始日期"]
GRID = "320508014021001"
XLS_TYPE, ODS_TYPE = "application/vnd.ms-excel", "application/vnd.oasis.opendocument.spreadsheet"


def xls(rows):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods(rows):
    """A minimal OpenDocument spreadsheet, written by hand (python-calamine only reads)."""
    def cell(value):
        if isinstance(value, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="花名册">{body}</table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_TYPE}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", ODS_TYPE)  # first and stored, as the format asks
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def upload(stack, token, content, content_type):
    return stack.call("POST", f"{API}/staff/roster", token, data=content, headers={"Content-Type": content_type})


def persons(stack):
    return stack.db_rows("people", "SELECT COUNT(*) AS n FROM persons")[0]["n"]


def test_xls_and_ods_rosters_import(stack):
    token = stack.login()
    for make, content_type in ((xls, XLS_TYPE), (ods, ODS_TYPE), (xls, "application/octet-stream"),
                               (ods, "application/octet-stream")):  # by extension, then by their first bytes
        number = id_number(gender="女")
        rows = [HEADER, ["钱晓", "女", number, 13812345678, "群众", "是", int(GRID), "楼栋长", "2026-05-01"]]
        response = upload(stack, token, make(rows), content_type)
        assert response.status_code == 201, (make.__name__, content_type, response.text)
        assert response.json() == {"imported": 1, "assignments": 1}
        found = stack.db_rows("people", "SELECT a.grid_code, a.role, a.start_date FROM persons p "
                                        "JOIN assignments a ON a.person_id = p.id WHERE p.name = '钱晓' "
                                        "ORDER BY a.created_at DESC")
        assert (found[0]["grid_code"], found[0]["role"], str(found[0]["start_date"])) == (
            GRID, "building_head", "2026-05-01")


def test_malformed_rosters_are_400s_and_leave_nothing_in_the_store_or_the_logs(stack):
    token = stack.login()
    number = id_number(gender="男")
    row = ["坏文件", "男", number, "13912345678", "群众", "是", GRID, "楼栋长", ""]
    book = Workbook()
    book.active.append(HEADER)
    book.active["XFD1048576"] = "x"  # two cells a sheet apart: half a terabyte, dense
    far_apart = io.BytesIO()
    book.save(far_apart)
    cases = {
        "header only": (",".join(HEADER).encode(), "text/csv"),
        "field over 128 KiB": ("\n".join([",".join(HEADER), ",".join(row[:8] + ["x" * 140_000])]).encode(),
                               "text/csv"),
        "starts like a ZIP": (b"PK\x03\x04" + number.encode() * 10, "application/octet-stream"),
        "not a spreadsheet": (b"%PDF-1.7\x00" + number.encode(), "application/octet-stream"),
        "damaged XLS": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + number.encode() * 40, XLS_TYPE),
        "cells far apart": (far_apart.getvalue(), "application/octet-stream"),
    }
    before = persons(stack)
    for name, (content, content_type) in cases.items():
        response = upload(stack, token, content, content_type)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"] == "ROSTER_REJECTED" and response.json()["message"], name
        assert number not in response.text, name
    assert persons(stack) == before
    assert stack.call("GET", "/healthz").status_code == 200 and upload(
        stack, token, ",".join(HEADER).encode(), "text/csv").status_code == 400, "people still answers"
    people_log = stack.log("people")
    assert number not in people_log and "13912345678" not in people_log
    assert "INSERT INTO" not in people_log and "NOT NULL" not in people_log
