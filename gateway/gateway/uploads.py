"""Files sent to the door: the body itself (what scripts and department systems send)
or a browser's multipart/form-data form. The service that reads the file decides
whether it is one it can read; here it only arrives, with a name that tells its type."""
from common.errors import InvalidInput, UnsupportedMediaType

EXTENSION_OF_TYPE = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}
ACCEPTED = sorted(EXTENSION_OF_TYPE) + ["application/octet-stream", "multipart/form-data"]
FIELD = "file"


def uploaded_file(request, default_name="upload"):
    """(content, filename) of an upload; 400 when there is none, 415 for a body that is
    neither a file type nor a form."""
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data":
        upload = request.files.get(FIELD)
        if upload is None:
            raise InvalidInput(f"Send the file in the form field '{FIELD}'.", code="VALIDATION_FAILED",
                               details={"fields": {FIELD: ["missing"]}})
        content = upload.read()
        name = upload.filename or default_name + EXTENSION_OF_TYPE.get(upload.mimetype, "")
    elif mimetype in EXTENSION_OF_TYPE or mimetype == "application/octet-stream" or not mimetype:
        content = request.get_data()
        name = default_name + EXTENSION_OF_TYPE.get(mimetype, "")
    else:
        raise UnsupportedMediaType(
            f"Send the file as the body with its own type, or as a multipart/form-data field '{FIELD}'.",
            details={"content_type": mimetype[:100], "accepted": ACCEPTED})
    if not content:
        raise InvalidInput("The file is empty.", code="VALIDATION_FAILED", details={"fields": {FIELD: ["empty"]}})
    return content, _plain_name(name)


def _plain_name(name):
    """The file's own name without any folder (browsers on Windows send C:\\...), at most
    100 characters, keeping its extension."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    if len(name) > 100:
        stem, dot, extension = name.rpartition(".")
        name = (stem[:90] + dot + extension[:9]) if dot else name[:100]
    return name
