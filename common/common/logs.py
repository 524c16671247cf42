"""Logging for every component: each line names the request it was written for,
as plain text or, with ``LOG_FORMAT=json``, as one JSON object per line.

A request id comes with each HTTP request (``X-Request-ID``, see common.http) and
travels on in nameko's context data (key ``request_id``), which nameko copies into
the headers of every RPC request a worker makes. :class:`RequestIds`, a dependency
of every service (common.ops), makes it the current id of each worker's greenthread;
:class:`RequestIdFilter` puts the current id on every log record. The nameko configs
in ``deploy/config`` and :func:`common.cli.configure_logging` wire both formats.
"""
import datetime as dt
import json
import logging
import re
import traceback
import uuid
from contextlib import contextmanager

from eventlet import corolocal
from nameko.extensions import DependencyProvider

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = "request_id"  # in nameko context data, and in an event's envelope
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")

_current = corolocal.local()  # one value per greenthread: workers of one process do not share it


def sane_request_id(value):
    """``value`` if it is an id we pass on (1-128 of ``A-Za-z0-9._:-``), else None."""
    return value if isinstance(value, str) and _SANE_ID.match(value) else None


def new_request_id():
    return uuid.uuid4().hex


def request_id_from(header_value):
    """The client's id when it is sane, otherwise a new one."""
    return sane_request_id(header_value) or new_request_id()


def current_request_id():
    """The id of the request this greenthread is working for, or None."""
    return getattr(_current, "request_id", None)


def set_request_id(request_id):
    _current.request_id = request_id


@contextmanager
def request_context(request_id):
    """Log lines written inside name ``request_id`` (None: no request)."""
    previous = current_request_id()
    set_request_id(request_id)
    try:
        yield
    finally:
        set_request_id(previous)


class RequestIds(DependencyProvider):
    """Makes the request id in a worker's context data (an HTTP request's, or the one
    an RPC caller passed on) the current one of the worker's greenthread."""

    def worker_setup(self, worker_ctx):
        set_request_id(sane_request_id(worker_ctx.data.get(REQUEST_ID_KEY)))

    def worker_teardown(self, worker_ctx):
        set_request_id(None)

    def get_dependency(self, worker_ctx):
        return None


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record: the current request's id, or "-"."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id() or "-"
        return True


def exception_summary(exc):
    """The type of ``exc`` and where it was raised (its traceback, and those of the
    exceptions it came from), without any exception's text: that may hold personal
    data (a database error names the row it failed on)."""
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        name = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
        remote = getattr(exc, "exc_type", None)  # nameko's RemoteError: the callee's type
        heading = f"{name} ({remote})" if isinstance(remote, str) else name
        parts.append(("" if not parts else "which came from ") + heading)
        parts.append("".join(traceback.format_tb(exc.__traceback__)).rstrip())
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return "\n".join(part for part in parts if part)


class WorkerErrorFilter(logging.Filter):
    """For the logger ``nameko.containers``, whose line for a worker that raised holds
    the exception's text and, for an expected error (a 4xx), a whole traceback: an
    expected error becomes one INFO line with its code, any other error its type and
    traceback (``exception_summary``), never its text."""

    EXPECTED = "(expected) error handling worker %s: %s"
    UNEXPECTED = "error handling worker %s: %s"

    def filter(self, record):
        if record.msg in (self.EXPECTED, self.UNEXPECTED) and isinstance(record.args, tuple) \
                and len(record.args) == 2 and isinstance(record.args[1], BaseException):
            worker, exc = record.args
            if record.msg == self.EXPECTED:
                record.msg, record.args = "%s answered %s", (worker, getattr(exc, "code", type(exc).__name__))
                record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            else:
                record.msg, record.args = "%s failed: %s", (worker, exception_summary(exc))
            record.exc_info = record.exc_text = None
        return True


# What an access line adds to its JSON object (common.http).
ACCESS_FIELDS = ("method", "path", "query", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, component, logger, message,
    request_id, and exception text when there is one."""

    def __init__(self, component=None, **kwargs):
        super().__init__(**kwargs)
        self.component = component

    def format(self, record):
        request_id = getattr(record, "request_id", None)
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "component": self.component,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if request_id in (None, "-") else request_id,
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: escaped, so the line is still written
            line = json.dumps(entry, default=str)
        return line


LOG_FORMATS = ("plain", "json")


def plain_format(component):
    return f"%(asctime)s %(levelname)s {component} %(name)s [%(request_id)s]: %(message)s"


def formatter(log_format, component):
    """The formatter of ``LOG_FORMAT`` (``plain`` or ``json``) for a component."""
    if log_format == "json":
        return JsonFormatter(component=component)
    if log_format == "plain":
        return logging.Formatter(plain_format(component))
    raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
