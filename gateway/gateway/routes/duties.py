"""Duties (职责): the visit and patrol targets per post and grid kind, the coverage
report over a subtree and a period (巡查走访), and the follow-up list of special groups
and group rentals (特殊人群, 群租房)."""
from common.roles import DISTRICT_WIDE, STAFF_READERS
from gateway.routing import ACTOR, BODY, ROOT, Call, Query, Route, in_root
from gateway.schemas import duties as s

TAG = "duties"
ROUTES = [
    Route("GET", "/targets", "coverage_targets", "The visit and patrol targets in force, each with why",
          STAFF_READERS, Call("people.coverage_targets"), TAG, response=s.TargetsView,
          description="Per post role and grid kind: `visits` (the share of the grid's households visited at least "
                      "once every `every_months`) and `patrols` (`per_week`). Version 0 is the shipped default "
                      "(`services/people/people/targets.json`, each target argued from the seeds)."),
    Route("POST", "/targets", "save_coverage_targets", "A new version of the targets (the whole document)",
          DISTRICT_WIDE, Call("people.save_coverage_targets", document=BODY, actor=ACTOR), TAG,
          body=s.TargetsInput, gate=False, response=s.TargetsView, status=201, errors=(409,),
          description="Replaces the document in force: a post role or grid kind it leaves out has no target from "
                      "then on. Refused whole with a 400 naming the field (`roles.grid_chief.basic.patrols.per_week`): "
                      "an unknown role, kind or field, a negative or non-numeric target, a share above 1, a cycle "
                      "outside 1-12 months. Nothing is stored then. Two versions saved at one moment: 409 "
                      "`TARGETS_CHANGED` to the second."),
    Route("GET", "/coverage", "coverage_report",
          "Households not visited, workers below their targets, totals per grid, community and town",
          STAFF_READERS,
          Call("people.coverage", root=ROOT, period=Query("period"), limit=Query("limit"), after=Query("after"),
               actor=ACTOR), TAG,
          scope=in_root(required=True, must_exist=True), query=s.CoverageQuery, response=s.CoverageReport,
          description="For a month, a quarter or a year (to today, for one under way; a post counts for the days it "
                      "ran). Households nobody visited in the period come a page at a time (`limit`, `after` = "
                      "`households_not_visited.next`), in grid order, with the last visit before the period. "
                      "Supervisors and auditors read every worker below target with their figures; anyone else "
                      "their own line. Counted in the database: one grouped query per record kind."),
    Route("GET", "/follow-ups", "follow_ups_overdue",
          "Special groups' residents and group rentals overdue for a follow-up, totals per grid", STAFF_READERS,
          Call("people.follow_ups_overdue", root=ROOT, tag=Query("tag"), as_of=Query("as_of"), limit=Query("limit"),
               actor=ACTOR), TAG,
          scope=in_root(must_exist=True), query=s.FollowUpQuery, response=s.FollowUpReport,
          description="Each special group (a resident's tag: elderly living alone, community correction, ...) is "
                      "followed up on its cadence in the targets in force (`follow_ups`); a visit to the resident's "
                      "household is a follow-up. A resident is due that many days after the last visit, or after "
                      "being registered; a group rental after the last visit to a household at the place, or after "
                      "being marked. Most overdue first; never ID or phone numbers."),
]
