"""Sheets people send upward (报表): rows as XLSX or CSV, written as a stream of bytes.

Both writers take a list of :class:`Sheet` whose ``rows`` may be a generator, and give
an iterator of byte chunks: nothing holds the whole file, so an export of a hundred
thousand tickets costs the memory of one page of them, and its first bytes leave
before its last rows are read.

Why a writer of our own for XLSX: openpyxl's write-only mode and xlsxwriter's
constant-memory mode keep memory flat but write the sheet to a temporary file and zip
it when the book is saved, so a client gets nothing until the whole file is done.
An XLSX is a zip of XML parts; the standard library's ``zipfile`` writes a zip to a
stream that cannot seek (each entry's sizes follow its data), so the sheet's XML goes
out compressed as its rows come in. Strings are inline (``t="inlineStr"``), not in a
shared-strings part, which would have to be complete before the sheet could be read.
Excel, WPS, LibreOffice and openpyxl read such books.

The zip is written without ZIP64 records (some spreadsheet programs refuse those in a
streamed zip): an entry must stay under 4 GiB, which callers keep by bounding their
rows (a ticket row is at most a few kilobytes).

CSV is UTF-8 with a byte-order mark, which Excel needs to read Chinese; a text cell
starting with ``=``, ``+``, ``-``, ``@`` or a tab is prefixed with ``'`` so that a
spreadsheet opening the file shows it instead of running it as a formula (CSV
injection). XLSX cells are typed: text is never a formula there.
"""
import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}
MAX_CELL_CHARACTERS = 32_767  # Excel's limit for one cell
CHUNK_BYTES = 64 * 1024       # how much is gathered before it is handed on
_XLSX_COMPRESSION = 1         # deflate level: 6 costs three times the CPU for a tenth less


@dataclass
class Sheet:
    """One table: ``name`` the tab's name (XLSX) or the section's first line (CSV, when
    a file holds several), ``title`` an optional line above the header, ``header`` the
    column names, ``rows`` lists of cells (str, int, float, bool or None), possibly a
    generator; ``widths`` column widths in characters (default: from the header)."""
    name: str
    header: list
    rows: object = ()
    title: str | None = None
    widths: list | None = None


def write(sheets, file_format):
    """The file in ``file_format`` (``xlsx`` or ``csv``) as an iterator of byte chunks."""
    return xlsx(sheets) if file_format == "xlsx" else csv_rows(sheets)


def to_bytes(sheets, file_format):
    """The whole file at once, for small sheets."""
    return b"".join(write(sheets, file_format))


# --- CSV -----------------------------------------------------------------------------------

_FORMULA_START = frozenset("=+-@\t\r")


def _csv_cells(row):
    """A row as CSV takes it: text that a spreadsheet would run as a formula shown with
    a leading ', a bool as 1 or 0. (One pass per row, no call per cell: a hundred
    thousand rows of twenty cells.)"""
    return [("'" + value if value[:1] in _FORMULA_START else value) if type(value) is str else
            (int(value) if type(value) is bool else value) for value in row]


def csv_rows(sheets):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff".encode()
    for index, sheet in enumerate(sheets):
        if index:
            writer.writerow([])
        if len(sheets) > 1:
            writer.writerow(_csv_cells([sheet.name]))
        if sheet.title:
            writer.writerow(_csv_cells([sheet.title]))
        writer.writerow(_csv_cells(sheet.header))
        for row in sheet.rows:
            writer.writerow(_csv_cells(row))
            if buffer.tell() >= CHUNK_BYTES:
                yield _drain(buffer)
        yield _drain(buffer)


def _drain(buffer):
    data = buffer.getvalue().encode("utf-8", "replace")
    buffer.seek(0)
    buffer.truncate()
    return data


# --- XLSX ----------------------------------------------------------------------------------

class _Pipe:
    """What zipfile writes to: a stream that cannot seek, emptied by the generator."""

    def __init__(self):
        self.chunks = []

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Style 0 plain, 1 a header (bold), 2 a title (bold, larger). 等线 is Chinese Excel's default font.
_STYLES = (f'{_XML}<styleSheet xmlns="{_MAIN}">'
           '<fonts count="3"><font><sz val="11"/><name val="等线"/></font>'
           '<font><b/><sz val="11"/><name val="等线"/></font><font><b/><sz val="13"/><name val="等线"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
           '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')
HEADER_STYLE, TITLE_STYLE = 1, 2
# Characters XML 1.0 cannot hold (a control character pasted into a description) go;
# &, < and > are escaped; leading or trailing blanks are kept (xml:space).
_NEEDS_CARE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|^\\s|\\s$")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def column_letters(count):
    """["A", "B", ..., "Z", "AA", ...] for ``count`` columns."""
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _inline(value, style=""):
    """A text cell. Most texts need no escaping: one regular-expression search says so."""
    if len(value) > MAX_CELL_CHARACTERS:
        value = value[:MAX_CELL_CHARACTERS]
    if _NEEDS_CARE.search(value):
        value = _NOT_XML.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if value != value.strip():
            return f'<c{style} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    return f'<c{style} t="inlineStr"><is><t>{value}</t></is></c>'


def _cell(value, style=""):
    """One cell's XML. Cells carry no reference (``r``): a row's cells are written in
    order, an empty one as ``<c/>``, which spares a quarter of the bytes and time."""
    kind = type(value)
    if kind is str:
        return _inline(value, style) if value else "<c/>"
    if value is None:
        return "<c/>"
    if kind is int or (kind is float and math.isfinite(value)):
        return f"<c{style}><v>{value!r}</v></c>"
    if kind is bool:
        return f'<c{style} t="b"><v>{int(value)}</v></c>'
    return _inline(str(value), style)  # a date, a Decimal, an infinite float: as the text it prints as


def _row_xml(cells, style=None):
    if style:
        attribute = f' s="{style}"'
        return "<row>" + "".join(_cell(value, attribute) for value in cells) + "</row>"
    return "<row>" + "".join(map(_cell, cells)) + "</row>"


def _display_width(text):
    """Characters as a spreadsheet measures them: a Chinese character is two wide."""
    return sum(2 if ord(char) > 0x2e7f else 1 for char in str(text))


def _sheet_name(name, taken):
    """A tab name Excel takes: at most 31 characters, none of []:*?/\\, unique."""
    base = _BAD_SHEET_NAME.sub("_", name).strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _escape_attribute(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _package(names):
    """The parts around the sheets: content types, relationships, the workbook, styles."""
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
                     for i in range(1, len(names) + 1))
    yield "[Content_Types].xml", (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f'{sheets}</Types>')
    yield "_rels/.rels", (
        f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    tabs = "".join(f'<sheet name="{_escape_attribute(name)}" sheetId="{i}" r:id="rId{i}"/>'
                   for i, name in enumerate(names, 1))
    yield "xl/workbook.xml", (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
        f'<sheets>{tabs}</sheets></workbook>')
    relations = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                        for i in range(1, len(names) + 1))
    yield "xl/_rels/workbook.xml.rels", (
        f'{_XML}<Relationships xmlns="{_PKG_REL}">{relations}'
        f'<Relationship Id="rId{len(names) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
    yield "xl/styles.xml", _STYLES


def _sheet_head(sheet, frozen_rows):
    widths = sheet.widths or [min(60, max(10, _display_width(name) + 2)) for name in sheet.header]
    columns = "".join(f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
                      for i, width in enumerate(widths, 1))
    pane = (f'<pane ySplit="{frozen_rows}" topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" '
            f'state="frozen"/>')
    return (f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
            f'{pane}</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{columns}</cols>'
            '<sheetData>')


def xlsx(sheets):
    pipe = _Pipe()
    taken = set()
    names = [_sheet_name(sheet.name, taken) for sheet in sheets]
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED, compresslevel=_XLSX_COMPRESSION) as book:
        for name, text in _package(names):
            book.writestr(name, text)
        yield pipe.take()
        for index, sheet in enumerate(sheets, 1):
            with book.open(f"xl/worksheets/sheet{index}.xml", "w") as part:
                lines = [_row_xml([sheet.title], TITLE_STYLE)] if sheet.title else []
                lines.append(_row_xml(sheet.header, HEADER_STYLE))
                part.write((_sheet_head(sheet, len(lines)) + "".join(lines)).encode())
                lines, size = [], 0
                for row in sheet.rows:
                    line = _row_xml(row)
                    lines.append(line)
                    size += len(line)
                    if size >= CHUNK_BYTES:
                        part.write("".join(lines).encode("utf-8", "replace"))
                        lines, size = [], 0
                        if pipe.chunks:
                            yield pipe.take()
                part.write(("".join(lines) + "</sheetData></worksheet>").encode("utf-8", "replace"))
            yield pipe.take()
    yield pipe.take()
