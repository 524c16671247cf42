"""Files the gateway hands out: sheets (XLSX or CSV, common.sheets) streamed as they are
written, with a Content-Disposition that names the file in Chinese too.

A route that answers with a file declares ``response=SHEET_ANSWER``: the OpenAPI
document then lists its media types, and the fuzz run and the role matrix accept them.
Errors before the first byte (the role, the input, the scope, a service that does not
answer) are the usual JSON errors; once the file has started, an error can only cut
it short (the connection closes without the chunked body's end, which every HTTP
client reports as an incomplete download), and the gateway logs it.
"""
import logging
import re
from urllib.parse import quote

from werkzeug.wrappers import Response

from common import sheets

log = logging.getLogger(__name__)

BINARY = {"schema": {"type": "string", "format": "binary"}}
SHEET_ANSWER = {sheets.FORMATS["xlsx"]: BINARY, "text/csv": {"schema": {"type": "string"}}}
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._-]+")


def attachment(filename):
    """Content-Disposition for ``filename``: ``filename*`` in UTF-8 (RFC 5987 / 6266) for
    the Chinese name, and a plain ASCII ``filename`` for clients that read no other."""
    plain = _NOT_PLAIN.sub("_", filename).strip("_") or "download"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(content, file_format, filename_stem):
    """An answer with ``content`` (bytes, or an iterator of byte chunks, sent as they
    come) as the file ``<filename_stem>.<file_format>``."""
    return Response(content, content_type=sheets.FORMATS[file_format], direct_passthrough=True,
                    headers={"Content-Disposition": attachment(f"{filename_stem}.{file_format}"),
                             "Cache-Control": "no-store"})  # a report holds what only its reader may read


def sheet_download(sheet_list, file_format, filename_stem, what="sheet"):
    """``sheet_list`` (common.sheets.Sheet, rows possibly a generator that pages through a
    service) written in ``file_format`` while it is sent."""
    return download(_logged(sheets.write(sheet_list, file_format), what), file_format, filename_stem)


def _logged(chunks, what):
    try:
        yield from chunks
    except GeneratorExit:  # the client went away: nothing more is read or written
        raise
    except Exception as exc:
        log.warning("%s cut short after its first bytes: %s", what, type(exc).__name__)
        raise
