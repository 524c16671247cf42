"""The child process of people.sheets: the workbook's bytes on standard input, its
first sheet as JSON on standard output (``{"first_row", "rows"}``, or ``{"error"}``
with exit status 2). Limits its own memory and CPU before calamine sees a byte."""
import datetime as dt
import io
import json
import resource
import sys

MAX_OUTPUT_CHARACTERS = 64 * 1024 * 1024


def cell_text(value, max_field):
    """A cell as the roster's text: whole numbers without ".0" (a phone or grid code
    typed as a number), days as YYYY-MM-DD; cut after ``max_field`` + 1 characters."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        text = str(int(value))
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, (dt.date, dt.time)):
        text = value.isoformat()
    else:
        text = str(value)
    return text.strip()[:max_field + 1]


def read(content, limits):
    from python_calamine import CalamineWorkbook, PasswordError

    label = limits["label"]
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        if not book.sheet_names:
            return {"error": f"The {label} file holds no sheet."}
        sheet = book.get_sheet_by_index(0)
    except PasswordError:
        return {"error": f"The {label} file is protected by a password; remove it and send the file again."}
    except Exception as exc:  # calamine's errors: the kind says enough, a message could quote the file
        return {"error": f"The file cannot be read as {label} ({type(exc).__name__}); save it again, "
                         "or send the roster as CSV."}
    if sheet.height > limits["max_rows"] + 1:
        return {"error": f"The sheet has {sheet.height:,} rows; a roster holds at most {limits['max_rows']:,} "
                         "under its header. Split it into several files."}
    if sheet.width > limits["max_columns"]:
        return {"error": f"The sheet has {sheet.width:,} columns; a roster has at most {limits['max_columns']}."}
    rows, size = [], 0
    for row in sheet.iter_rows():
        rows.append([cell_text(value, limits["max_field"]) for value in row])
        size += sum(len(text) for text in rows[-1])
        if size > MAX_OUTPUT_CHARACTERS:
            return {"error": f"The sheet holds more text than a roster can ({MAX_OUTPUT_CHARACTERS // 2**20} "
                             "million characters or more)."}
    return {"first_row": (sheet.start or (0, 0))[0] + 1, "rows": rows}


def main():
    limits = json.loads(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"]))
    answer = read(sys.stdin.buffer.read(), limits)
    sys.stdout.buffer.write(json.dumps(answer).encode())  # ASCII whatever the locale
    sys.exit(2 if "error" in answer else 0)


if __name__ == "__main__":
    main()
