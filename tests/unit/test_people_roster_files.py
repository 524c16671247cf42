"""Roster files that cannot be read are refused with what is wrong with them, before
anything is checked or stored; the reader (python-calamine in a child process)
survives files built to exhaust it."""
import io
import zipfile

import pytest
from openpyxl import Workbook

from people import roster
from people.exceptions import RosterRejected

HEADER = ["姓名", "性别", "身份证号码", "手机号码", "政治面貌", "是否会用智能手机", "网格编码", "岗位", "任职开始日期"]
ROW = ["林小燕", "女", "11010519491231002X", "13812345678", "群众", "是", "320508014021002", "专职网格员", "2026-03-01"]


def xlsx(rows, cells=None):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref, value in (cells or {}).items():
        sheet[ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def repacked(content, drop=(), change=None):
    """The ZIP package with some parts left out or rewritten."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename not in drop:
                data = source.read(entry)
                target.writestr(entry.filename, change(entry.filename, data) if change else data)
    return out.getvalue()


def refused(content, filename=None):
    with pytest.raises(RosterRejected) as caught:
        roster.read_rows(content, filename)
    return caught.value


def test_a_good_xlsx_reads_as_text_with_numbers_as_typed():
    header, rows = roster.read_rows(xlsx([HEADER, ROW[:3] + [13812345678] + ROW[4:6] + [320508014021002] + ROW[7:]]))
    assert header == HEADER and rows == [(2, ROW)]


def test_a_header_without_rows_is_refused():
    error = refused(",".join(HEADER).encode())
    assert error.code == "ROSTER_REJECTED" and "no person" in error.message


@pytest.mark.parametrize("size", [1001, 200 * 1024])  # past the roster's cap; past csv's own field limit too
def test_a_field_too_long_is_refused_saying_where(size):
    row = ROW[:7] + ["x" * size] + ROW[8:]
    error = refused("\n".join(",".join(r) for r in (HEADER, row)).encode())
    assert error.details["errors"][0]["row"] == 2
    assert "x" * 100 not in repr(error.to_dict()), "the cell is not echoed"


def test_too_many_rows_are_refused_before_they_are_checked():
    rows = [",".join(HEADER)] + [",".join(ROW)] * (roster.MAX_ROWS + 1)
    assert "at most 20,000" in refused("\n".join(rows).encode()).message


@pytest.mark.parametrize("filename", [None, "roster.xlsx"])
def test_a_body_that_starts_like_a_zip_but_is_not_one(filename):
    assert "not a readable ZIP" in refused(b"PK\x03\x04" + b"\x00garbage" * 20, filename).message


def test_an_xlsx_without_content_types_is_refused():
    content = repacked(xlsx([HEADER, ROW]), drop=("[Content_Types].xml",))
    assert "[Content_Types].xml" in refused(content, "roster.xlsx").message


def test_an_xlsx_declaring_a_dtd_is_refused():
    def with_entity(name, data):
        if name != "xl/worksheets/sheet1.xml":
            return data
        declaration, _, rest = data.partition(b"?>") if data.startswith(b"<?xml") else (b"", b"", data)
        return declaration + _ + b'<!DOCTYPE worksheet [<!ENTITY e "x">]>' + rest

    error = refused(repacked(xlsx([HEADER, ROW]), change=with_entity))
    assert "DTD" in error.message and "xl/worksheets/sheet1.xml" in error.message


def test_a_sheet_whose_cells_lie_far_apart_is_refused_and_the_reader_survives():
    """calamine allocates the block from A1 to XFD1048576 for these two cells: in the
    service's own process the failed allocation would abort it."""
    assert "too large" in refused(xlsx([["姓名"]], {"XFD1048576": "x"})).message
    assert "at most 20,000" in refused(xlsx([["姓名"]], {"B30000": "x"})).message  # read, then counted
    header, rows = roster.read_rows(xlsx([HEADER, ROW]))
    assert rows == [(2, ROW)]


def test_a_cell_holding_a_nul_character_is_refused():
    def nul(name, data):  # Excel writes none, and openpyxl refuses one: put it in by hand
        return data.replace("网格NUL员".encode(), "网格\x00员".encode())

    error = refused(repacked(xlsx([HEADER, ROW[:7] + ["网格NUL员"] + ROW[8:]]), change=nul))
    assert error.details["errors"] == [{"row": 2, "column": "岗位", "reason": "contains a NUL character"}]


@pytest.mark.parametrize("filename, content", [("roster.pdf", b"%PDF-1.7"), (None, b"%PDF-1.7\x00\x01binary")])
def test_an_unknown_kind_of_file_names_the_allowed_ones(filename, content):
    error = refused(content, filename)
    assert ".csv, .xlsx, .xls, .ods" in error.message and error.details["allowed"] == [".csv", ".xlsx", ".xls", ".ods"]


def test_a_damaged_workbook_is_refused_whatever_its_extension_says():
    assert "cannot be read as XLS" in refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600).message
    assert "cannot be read as XLS" in refused(b"not a workbook at all", "roster.xls").message
