"""Integrity (数据真实性): the flags the detectors raised, and an auditor's review."""
from common.roles import AUDITORS, DISTRICT_WIDE, INTEGRITY_SCANNERS, STAFF_READERS
from gateway.routing import ACTOR, BODY, Call, Path, Query, Route, by_record
from gateway.schemas import integrity as s

TAG = "integrity"
FLAG = Path("flag_id")
ROUTES = [
    Route("GET", "/integrity/thresholds", "integrity_thresholds",
          "The detectors' thresholds in force, each with its unit and why", STAFF_READERS,
          Call("scoring.integrity_thresholds"), TAG, response=s.ThresholdsView),
    Route("POST", "/integrity/thresholds", "save_integrity_thresholds",
          "A new version of the thresholds (what it omits keeps its default)", DISTRICT_WIDE,
          Call("scoring.save_integrity_thresholds", document=BODY, actor=ACTOR), TAG, body=s.ThresholdsInput,
          gate=False, response=s.ThresholdsView, status=201,
          description="Refused with a 400 naming the field: an unknown pattern or threshold, a negative value, an "
                      "inverted pair (a range's `min` above its `max`). Nothing is stored then."),
    Route("POST", "/integrity/scans", "scan_integrity", "Scan a scope's facts for a month or a quarter now",
          INTEGRITY_SCANNERS, Call("scoring.scan_integrity", data=BODY, actor=ACTOR), TAG,
          body=s.ScanInput, response=s.ScanFigures,
          scope=by_record(note="`scope` in the caller's reach"),
          description="Facts are also scanned as they arrive (the communities of the people whose facts came in, "
                      "a few times a minute); this scans the whole scope at once. New flags are announced as "
                      "`integrity_flag_raised`."),
    Route("GET", "/integrity/flags", "list_flags", "Integrity flags, newest first, a page at a time", STAFF_READERS,
          Call("scoring.list_flags", root=Query("root"), period=Query("period"), pattern=Query("pattern"),
               status=Query("status"), limit=Query("limit"), after=Query("after"), actor=ACTOR), TAG,
          query=s.FlagsQuery, response=s.FlagPage,
          scope=by_record(note="supervisors and auditors: flags in their scope (`root` in it); anyone else the "
                               "confirmed flags on their own record"),
          description="Each flag names its pattern, the person and grid, the period, the figures that crossed the "
                      "threshold and how many records are its evidence (the flag itself lists them)."),
    Route("GET", "/integrity/flags/{flag_id}", "get_flag", "One flag, with its evidence and its review trail",
          STAFF_READERS, Call("scoring.get_flag", flag_id=FLAG, actor=ACTOR), TAG, path_schema=s.FlagPath,
          response=s.FlagView,
          scope=by_record(note="its grid in the caller's scope; the person it names, once confirmed", hidden=True)),
    Route("POST", "/integrity/flags/{flag_id}/review", "review_flag",
          "Confirm or dismiss a flag, with a note (once)", AUDITORS,
          Call("scoring.review_flag", flag_id=FLAG, data=BODY, actor=ACTOR), TAG, path_schema=s.FlagPath,
          body=s.ReviewInput, response=s.FlagView, errors=(409,),
          scope=by_record(note="its grid in the auditor's scope", hidden=True),
          description="A confirmed flag deducts the points the policy gives its pattern from assessments run "
                      "afterwards (a line of its own in the breakdown); a dismissed one does not come back for the "
                      "same evidence. A second review is 409 `FLAG_ALREADY_REVIEWED`."),
]
