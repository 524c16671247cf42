"""A job as the API shows it (common.jobs)."""
import re

from marshmallow import fields, validate

from gateway.schemas.base import Loose, Strict

STATUSES = ("queued", "running", "succeeded", "failed")
MOMENT = {"format": "date-time"}


class Job(Loose):
    id = fields.String(required=True, metadata={"example": "grid-6f1c2d2e-8a0b-4c2f-9d7e-0b1a2c3d4e5f"})
    kind = fields.String(required=True, metadata={"example": "grid_import"})
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    phase = fields.String(allow_none=True, metadata={"description": "e.g. checking, adding"})
    done = fields.Integer(required=True)
    total = fields.Integer(required=True)
    result = fields.Raw(allow_none=True, metadata={"description": "what the request would have answered"})
    error = fields.Raw(allow_none=True, metadata={"description": "the error it would have answered"})
    created_by = fields.String(allow_none=True)
    created_at = fields.String(required=True, metadata=MOMENT)
    started_at = fields.String(allow_none=True, metadata=MOMENT)
    finished_at = fields.String(allow_none=True, metadata=MOMENT)


class JobPath(Strict):
    job_id = fields.String(required=True, validate=validate.Regexp(
        re.compile(r"^(grid|people)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        error="a job id, as a 202 answer gave it"))
