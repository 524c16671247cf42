"""The sheet writer (common.sheets): books that spreadsheet programs open, with Chinese
headers, typed cells and text they cannot take away, written as a stream whose
first bytes leave before its last rows are read, in memory that does not grow with
the rows."""
import csv
import io
import tracemalloc
import zipfile

from openpyxl import load_workbook

from common.sheets import Sheet, column_letters, csv_rows, to_bytes, xlsx

HEADER = ["事件编号", "网格名称", "件数", "办结率(%)", "按期", "备注"]


def lines():
    return [["20261201-00001", "金阊街道第一网格", 3, 91.23, True, None],
            ["20261201-00002", "  前后有空格  ", 0, -1.5, False, "a & b <c> \x01控制字符\x1f"],
            ["20261201-00003", "", 12345678901, 0.0, None, "=SUM(A1:A2)"]]


def test_an_xlsx_book_opens_with_chinese_headers_and_typed_cells():
    data = to_bytes([Sheet("事件清单", HEADER, lines(), title="金阊街道 事件清单 2026-12-01"),
                     Sheet("按[网格]/统计", ["网格编码", "件数"], [["320508019", 2]])], "xlsx")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["事件清单", "按_网格__统计"]
    page = book["事件清单"]
    assert page["A1"].value == "金阊街道 事件清单 2026-12-01" and page["A1"].font.b
    assert [cell.value for cell in page[2]] == HEADER and page["A2"].font.b
    assert page.freeze_panes == "A3"
    rows = [list(row) for row in page.iter_rows(min_row=3, values_only=True)]
    assert rows[0] == ["20261201-00001", "金阊街道第一网格", 3, 91.23, True, None]
    assert rows[1] == ["20261201-00002", "  前后有空格  ", 0, -1.5, False, "a & b <c> 控制字符"]
    assert rows[2] == ["20261201-00003", None, 12345678901, 0, None, "=SUM(A1:A2)"]
    assert page["F5"].data_type == "s", "text that looks like a formula stays text"
    assert list(book["按_网格__统计"].iter_rows(values_only=True)) == [("网格编码", "件数"), ("320508019", 2)]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert "xl/sharedStrings.xml" not in archive.namelist()  # inline strings: nothing waits for the end


def test_tab_names_are_what_excel_takes():
    data = to_bytes([Sheet("A" * 40, ["x"]), Sheet("a" * 40, ["x"]), Sheet("", ["x"])], "xlsx")
    names = load_workbook(io.BytesIO(data)).sheetnames
    assert names == ["A" * 31, "a" * 28 + "(2)", "Sheet"]


def test_a_csv_has_a_byte_order_mark_sections_and_no_formulas():
    data = to_bytes([Sheet("事件清单", HEADER, lines(), title="标题"), Sheet("按网格", ["网格编码"], [["320508"]])], "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["事件清单"] and rows[1] == ["标题"] and rows[2] == HEADER
    assert rows[3] == ["20261201-00001", "金阊街道第一网格", "3", "91.23", "1", ""]
    assert rows[4][3] == "-1.5", "a negative number is a number, not a formula"
    assert rows[5][5] == "'=SUM(A1:A2)", "a formula is shown, not run"
    assert rows[6] == [] and rows[7] == ["按网格"] and rows[9] == ["320508"]
    single = to_bytes([Sheet("事件清单", ["a"], [["@x"], ["-y"], ["+z"]])], "csv").decode("utf-8-sig")
    assert single.splitlines() == ["a", "'@x", "'-y", "'+z"], "one sheet: no section line"


def test_column_letters():
    letters = column_letters(703)
    assert letters[:3] == ["A", "B", "C"] and letters[25:28] == ["Z", "AA", "AB"] and letters[-1] == "AAA"


class Counted:
    """Rows as a service pages through them: how many were taken so far."""

    def __init__(self, count):
        self.count, self.taken = count, 0

    def __iter__(self):
        for number in range(self.count):
            self.taken += 1
            yield [f"2026120{number % 9}-{number:05d}", "金阊街道第一网格", number, "楼道堆放杂物，影响消防通道 " * 3]


def test_the_book_streams_its_first_bytes_before_its_last_rows_are_read():
    for write in (xlsx, csv_rows):
        rows = Counted(20_000)
        chunks = write([Sheet("事件清单", ["编号", "网格", "序号", "描述"], rows)])
        received = 0
        while rows.taken < 1000:
            received += len(next(chunks))
        assert received > 0 and rows.taken < 20_000, write.__name__
        assert sum(len(chunk) for chunk in chunks) > 0 and rows.taken == 20_000


def test_memory_stays_flat_however_many_rows():
    def peak(count):
        tracemalloc.start()
        try:
            for _ in xlsx([Sheet("事件清单", ["编号", "网格", "序号", "描述"], Counted(count))]):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(40_000)
    assert large < small * 1.5 + 256 * 1024, (small, large)
    book = load_workbook(io.BytesIO(to_bytes([Sheet("x", ["编号"], ([n] for n in range(40_000)))], "xlsx")),
                         read_only=True)
    assert sum(1 for _ in book.active.iter_rows()) == 40_001
