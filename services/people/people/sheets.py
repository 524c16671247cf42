"""Spreadsheets (XLSX, XLS, ODS) as rows of text, free of nameko.

python-calamine reads all three and processes no DTD. It builds a sheet as one dense
block from its first cell to its last, so a file of two cells, A1 and XFD1048576,
asks for half a terabyte, and the failed allocation aborts the whole process (Rust's
allocation error handler cannot be caught). So calamine runs in a short-lived child
process (``people.sheet_reader``) with an address-space and CPU limit: a child that
dies is a file refused, and the service lives on. The ZIP packages (XLSX, ODS) are
checked here first, so the common faults get a clear answer: not a ZIP at all, no
``[Content_Types].xml``, a DTD (XML entities have no place in a roster), a package
that unpacks to too much.
"""
import io
import json
import subprocess
import sys
import zipfile
import zlib
from contextlib import contextmanager

from people.exceptions import RosterRejected

LABELS = {"xlsx": "XLSX (Excel)", "xls": "XLS (Excel 97-2003)", "ods": "ODS (OpenDocument)"}
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # a roster of 20,000 rows unpacks to a few MiB
CHILD_MEMORY_BYTES = 1024 * 1024 * 1024
CHILD_SECONDS = 60
_CHUNK = 64 * 1024


def reject(message, **details):
    raise RosterRejected(message, details={"errors": [], **details})


def zip_kind(content):
    """"xlsx" or "ods" for a ZIP package by what it holds; None if it is neither."""
    with _open_zip(content, "spreadsheet") as archive:
        names = set(archive.namelist())
    if "[Content_Types].xml" in names or any(name.startswith("xl/") for name in names):
        return "xlsx"
    if "mimetype" in names or "content.xml" in names:
        return "ods"
    return None


def check_package(content, kind):
    """400 unless ``content`` is a ZIP package of ``kind`` ("xlsx" or "ods") that
    unpacks to at most MAX_UNPACKED_BYTES and holds no document type declaration."""
    label = LABELS[kind]
    with _open_zip(content, label) as archive:
        entries = archive.infolist()
        names = {entry.filename for entry in entries}
        if kind == "xlsx" and "[Content_Types].xml" not in names:
            reject(f"The {label} file lacks [Content_Types].xml, so it is not a complete workbook; "
                   "save it again from Excel or WPS, or send the roster as CSV.")
        if kind == "ods" and "content.xml" not in names:
            reject(f"The {label} file lacks content.xml, so it holds no sheet; save it again, or send CSV.")
        if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
            reject(f"The {label} file unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MiB; "
                   "a roster is far smaller. Send the roster sheet alone.")
        unpacked = 0
        for entry in entries:
            try:
                with archive.open(entry) as part:
                    tail = b""
                    while chunk := part.read(_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > MAX_UNPACKED_BYTES:
                            reject(f"The {label} file unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MiB; "
                                   "a roster is far smaller. Send the roster sheet alone.")
                        window = (tail + chunk).lower()
                        if b"<!doctype" in window or b"<!entity" in window:
                            reject(f"The {label} file declares a document type (DTD) in {entry.filename}. "
                                   "Spreadsheets saved by Excel, WPS or LibreOffice have none, and a DTD can "
                                   "define XML entities, so the file is refused; save it again, or send CSV.")
                        tail = chunk[-16:]
            except RosterRejected:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
                    ValueError):  # damaged, encrypted, or an unknown compression method
                reject(f"The {label} file is damaged: {entry.filename} cannot be unpacked. Save it again, "
                       "or send the roster as CSV.")


@contextmanager
def _open_zip(content, label):
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        reject(f"The file is not a valid {label} file: it is not a readable ZIP package "
               "(a damaged or unfinished download?). Save it again, or send the roster as CSV.")
    with archive:
        yield archive


def read_sheet(content, kind, max_rows, max_columns, max_field):
    """(first row number, rows as lists of text) of the workbook's first sheet, read
    in a child process; each cell at most ``max_field`` + 1 characters (longer ones
    are cut there, so the caller can say which are too long). 400 for a file the
    child cannot read, or one past ``max_rows`` (under the header) or ``max_columns``."""
    if kind in ("xlsx", "ods"):
        check_package(content, kind)
    label = LABELS[kind]
    command = [sys.executable, "-m", "people.sheet_reader", json.dumps({
        "max_rows": max_rows, "max_columns": max_columns, "max_field": max_field,
        "memory_bytes": CHILD_MEMORY_BYTES, "cpu_seconds": CHILD_SECONDS, "label": label})]
    try:
        done = subprocess.run(command, input=content, capture_output=True, timeout=CHILD_SECONDS + 5)
    except subprocess.TimeoutExpired:
        reject(f"Reading the {label} file took longer than {CHILD_SECONDS} s; send the roster sheet alone, "
               "or as CSV.")
    try:
        answer = json.loads(done.stdout) if done.returncode in (0, 2) else None
    except ValueError:
        answer = None
    if answer is None:  # killed at its memory or CPU limit (the child's stderr holds no cell)
        reject(f"The {label} file cannot be read: its sheet is too large once unpacked (cells far apart, "
               "or a damaged file). Save the roster sheet alone, or send it as CSV.")
    if "error" in answer:
        reject(answer["error"])
    return answer["first_row"], answer["rows"]
