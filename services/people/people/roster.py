"""Staff rosters as district offices keep them: CSV (UTF-8 with or without BOM, or
GBK, as Excel saves it), XLSX, XLS or ODS (read by python-calamine, see people.sheets),
Chinese column headers, one person and one grid post per row. The import is all or
nothing: every row is checked first, and a rejected roster comes back with each
failing row, its column and the reason. A file that cannot be read is refused with
what is wrong with it; nothing of its content reaches a log line.
"""
import csv
import datetime as dt
import io
import os
import uuid
from types import SimpleNamespace

from sqlalchemy import insert, select

from common.db import utcnow
from people import sheets
from people.exceptions import RosterRejected
from people.idcard import InvalidIdNumber, InvalidPhone, normalise_phone, parse_id_number
from people.models import Assignment, Person
from people.staff import POSTS_FROM, STAFF_ROLES

__all__ = ["RosterRejected", "read_rows", "check_rows", "map_columns", "known_persons", "store"]

# column -> the headers offices use for it
COLUMNS = {
    "name": ("姓名",),
    "gender": ("性别",),
    "id_number": ("身份证号码", "身份证号", "公民身份号码"),
    "phone": ("手机号码", "联系电话", "手机号", "电话"),
    "party": ("是否党员", "政治面貌"),
    "smartphone": ("是否会用智能手机", "会用智能手机"),
    "grid_code": ("网格编码", "网格代码"),
    "role": ("岗位", "职务", "角色"),
    "start_date": ("任职开始日期", "起始日期", "开始日期"),
}
REQUIRED = ("name", "id_number", "grid_code", "role")
ROLE_BY_LABEL = {label: key for key, (label, _) in STAFF_ROLES.items()} | {key: key for key in STAFF_ROLES}
YES = {"是", "y", "yes", "true", "1", "中共党员", "党员", "预备党员"}
NO = {"否", "n", "no", "false", "0", "群众", "共青团员", ""}

# What one file may hold: a district's whole staff fits; a larger file is a mistake
# (or an attack), refused before any row is checked.
MAX_ROWS = 20_000
MAX_COLUMNS = 100
MAX_FIELD = 1_000
READERS = {".csv": "csv", ".xlsx": "xlsx", ".xls": "xls", ".ods": "ods"}
ALLOWED = ", ".join(READERS)
_ZIP, _OLE2 = b"PK\x03\x04", bytes.fromhex("d0cf11e0a1b11ae1")


def file_kind(content, filename=None):
    """"csv", "xlsx", "xls" or "ods": by the filename's extension when it has one,
    else by the content's first bytes. 400 naming the allowed types otherwise."""
    extension = os.path.splitext((filename or "").strip().lower())[1]
    if extension:
        if extension not in READERS:
            raise RosterRejected(f"A roster is a {ALLOWED} file, not {extension[:20]}.",
                                 details={"errors": [], "field": "filename", "allowed": list(READERS)})
        return READERS[extension]
    if content.startswith(_ZIP):
        kind = sheets.zip_kind(content)
        if kind is None:
            raise RosterRejected(f"The file is a ZIP archive but no XLSX or ODS workbook; a roster is a {ALLOWED} "
                                 "file.", details={"errors": [], "allowed": list(READERS)})
        return kind
    if content.startswith(_OLE2):
        return "xls"
    if b"\x00" in content[:4096]:  # text in UTF-8 or GBK holds no NUL byte
        raise RosterRejected(f"The file is neither CSV text nor a workbook; a roster is a {ALLOWED} file.",
                             details={"errors": [], "allowed": list(READERS)})
    return "csv"


def read_rows(content, filename=None):
    """(header labels, [(row number in the sheet, row as a list of strings)]) from the
    file's bytes; 400 for a file that cannot be read, has no rows under its header,
    too many rows or columns, or a cell too long or holding a NUL character."""
    kind = file_kind(content, filename)
    if kind == "csv":
        first, rows = 1, _csv_rows(content)
    else:
        first, rows = sheets.read_sheet(content, kind, MAX_ROWS, MAX_COLUMNS, MAX_FIELD)
    # Blank lines are skipped but keep their place: errors name rows as the sheet numbers them.
    numbered = [(line, row) for line, row in enumerate(rows, start=first) if any(row)]
    if not numbered:
        raise RosterRejected("The roster is empty.", details={"errors": []})
    header, body = numbered[0][1], numbered[1:]
    if not body:
        raise RosterRejected("The roster has its header row but no person under it; nothing was imported.",
                             details={"errors": []})
    if len(body) > MAX_ROWS:
        raise RosterRejected(f"The roster has {len(body):,} rows; at most {MAX_ROWS:,} per file. "
                             "Split it into several files.", details={"errors": []})
    if len(header) > MAX_COLUMNS:
        raise RosterRejected(f"The roster has {len(header):,} columns; at most {MAX_COLUMNS}.",
                             details={"errors": []})
    _refuse_bad_cells(numbered)
    return header, body


def _csv_rows(content):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterRejected("The file is neither UTF-8 nor GBK text.", details={"errors": []})
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            rows.append([cell.strip() for cell in row])
            if len(rows) > MAX_ROWS + 1 + 1000:  # blank lines aside, too many: stop reading
                raise RosterRejected(f"The roster has more than {MAX_ROWS:,} rows; at most {MAX_ROWS:,} per file. "
                                     "Split it into several files.", details={"errors": []})
    except csv.Error as exc:
        # csv's own messages say what is wrong and quote nothing of the file
        reason = (f"a cell is far longer than {MAX_FIELD:,} characters" if "field limit" in str(exc)
                  else str(exc).split(" - ")[0])
        raise RosterRejected(f"The CSV file cannot be read at line {reader.line_num}: {reason}.",
                             details={"errors": [{"row": reader.line_num, "column": None, "reason": reason}]}) from None
    return rows


def _refuse_bad_cells(numbered):
    header = numbered[0][1]
    errors = []
    for number, row in numbered:
        for position, cell in enumerate(row):
            reason = (f"longer than {MAX_FIELD:,} characters" if len(cell) > MAX_FIELD
                      else "contains a NUL character" if "\x00" in cell else None)
            if reason:
                column = header[position] if number != numbered[0][0] and position < len(header) else None
                errors.append({"row": number, "column": (column or _column_letter(position))[:MAX_FIELD],
                               "reason": reason})
    if errors:
        raise RosterRejected(f"Roster rejected: {len(errors)} cells are too long or hold a NUL character; "
                             "nothing was imported.", details={"errors": errors[:1000], "error_count": len(errors)})


def _column_letter(position):
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def map_columns(header):
    positions, missing = {}, []
    for column, labels in COLUMNS.items():
        found = next((i for i, cell in enumerate(header) if cell in labels), None)
        if found is not None:
            positions[column] = found
        elif column in REQUIRED:
            missing.append(labels[0])
    if missing:
        raise RosterRejected(f"The roster lacks the column(s) {', '.join(missing)}.",
                             details={"errors": [{"row": 1, "column": m, "reason": "missing column"} for m in missing]})
    return positions


def _flag(value, label):
    if value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    raise ValueError(f"{label} must be 是 or 否, not {value!r}")


def _date(value):
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


# The ID number says the gender; a 性别 column, where filled, must agree with it.
GENDER_BY_LABEL = {"男": "male", "女": "female", "male": "male", "female": "female"}


def check_rows(header, rows, today):
    """Parsed rows and the list of errors; ``rows`` as read_rows numbers them."""
    positions = map_columns(header)
    label_of = {column: header[i] for column, i in positions.items()}
    parsed, errors, seen = [], [], {}
    for number, row in rows:
        cell = {column: (row[i] if i < len(row) else "") for column, i in positions.items()}
        problems = []

        def bad(column, reason):
            problems.append({"row": number, "column": label_of.get(column, column), "reason": reason})

        for column in REQUIRED:
            if not cell.get(column):
                bad(column, "empty")
        record = {"row": number, "name": cell.get("name", "")[:50]}
        if cell.get("id_number"):
            try:
                record["id_number"], record["birth_date"], record["gender"] = parse_id_number(cell["id_number"], today)
                if record["id_number"] in seen:
                    bad("id_number", f"the same person as row {seen[record['id_number']]}")
                seen.setdefault(record["id_number"], number)
            except InvalidIdNumber as exc:
                bad("id_number", exc.message)
        stated = cell.get("gender", "").strip()
        if stated:
            if stated not in GENDER_BY_LABEL:
                bad("gender", f"write 男 or 女, not {stated!r}")
            elif record.get("gender") and GENDER_BY_LABEL[stated] != record["gender"]:
                bad("gender", f"{stated} disagrees with the ID number; correct one of them")
        try:
            record["phone"] = normalise_phone(cell["phone"]) if cell.get("phone") else None
        except InvalidPhone as exc:
            bad("phone", exc.message)
        if cell.get("role"):
            record["role"] = ROLE_BY_LABEL.get(cell["role"])
            if record["role"] is None:
                bad("role", f"unknown post {cell['role']!r}; known: {', '.join(l for l, _ in STAFF_ROLES.values())}")
        record["grid_code"] = cell.get("grid_code", "")
        if record["grid_code"] and not (record["grid_code"].isascii() and record["grid_code"].isdigit()):
            bad("grid_code", "a grid code has digits only")
        for column, key, convert in (("party", "party_member", lambda v: _flag(v, label_of.get("party"))),
                                     ("smartphone", "smartphone_user", lambda v: _flag(v, label_of.get("smartphone"))),
                                     ("start_date", "start_date", _date)):
            try:
                record[key] = convert(cell[column]) if cell.get(column) else None
            except ValueError as exc:
                bad(column, str(exc))
        if record.get("start_date") and record["start_date"] < POSTS_FROM:
            bad("start_date", f"{record['start_date']} is before {POSTS_FROM} (a typing slip?)")
        errors += problems
        parsed.append(record)
    return parsed, errors


def ineligible(records, rules, today, header):
    """Errors for the rows posting someone the recruitment rules refuse (people.staffing):
    a roster has no override; a district officer posts such a person singly, with a
    reason. A row the checks already refused (no birth date read) is left to them."""
    labels = {column: header[i] for column, i in map_columns(header).items()}
    column_of = {"max_age": labels.get("id_number", "身份证号码"), "smartphone": labels.get("smartphone", "smartphone"),
                 "no_violation": labels.get("id_number", "身份证号码")}
    errors = []
    for record in records:
        if not record.get("role") or record.get("birth_date") is None:
            continue
        person = SimpleNamespace(birth_date=record["birth_date"], violation_recorded=False,
                                 smartphone_user=record.get("smartphone_user") is not False)
        for reason in rules.failed(person, record["role"], today):
            errors.append({"row": record["row"], "column": column_of[reason["rule"]],
                           "reason": f"recruitment rule {reason['rule']}: {reason['message']} (a district "
                                     "officer may post this person singly, with a reason)"})
    return errors


def known_persons(session, cipher, records):
    hashes = {cipher.search_hash(r["id_number"]): r["row"] for r in records if r.get("id_number")}
    found = session.scalars(select(Person.id_number_hash).where(Person.id_number_hash.in_(list(hashes)))).all()
    return {hashes[h] for h in found}


def store(session, cipher, records, today):
    now = utcnow()
    persons, posts = [], []
    for r in records:
        person_id = str(uuid.uuid4())
        persons.append({
            "id": person_id, "name": r["name"], "gender": r["gender"], "birth_date": r["birth_date"],
            "phone_enc": cipher.encrypt(r["phone"]), "phone_hash": cipher.search_hash(r["phone"]),
            "id_number_enc": cipher.encrypt(r["id_number"]), "id_number_hash": cipher.search_hash(r["id_number"]),
            "party_member": bool(r.get("party_member")), "smartphone_user": r.get("smartphone_user") is not False,
            "violation_recorded": False, "status": "active", "created_at": now, "updated_at": now})
        posts.append({"id": str(uuid.uuid4()), "person_id": person_id, "grid_code": r["grid_code"],
                      "role": r["role"], "start_date": r.get("start_date") or today, "end_date": None,
                      "created_at": now, "version": 1})
    session.execute(insert(Person), persons)
    session.execute(insert(Assignment), posts)
    return persons, posts
