"""Assessment (考核): plans, what people enter, assessments run, published and
corrected, their results, rankings, the posted sheet, and the consequences."""
import base64

from common.roles import (ASSESSORS, DISTRICT_WIDE, EVERYONE, MANAGER_READERS, SELF_ASSESSORS, STAFF_READERS,
                          SUPERVISOR_READERS)
from gateway.downloads import SHEET_ANSWER, download
from gateway.routing import ACTOR, BODY, QUERY, Call, Path, Query, Route, by_record
from gateway.schemas import assessment as s
from gateway.schemas.base import Paged, page_of

TAG = "assessment"
ASSESSMENT = Path("assessment_id")
IN_SCOPE = by_record(note="the assessment's scope in the caller's reach")


def export(ctx):
    """The posted sheet as a download (the file's own name, in UTF-8 for Chinese)."""
    sheet = ctx.rpc("scoring").export_assessment(assessment_id=ctx.path["assessment_id"],
                                                 format=ctx.query["format"], actor=ctx.actor.to_wire())
    stem, _, file_format = sheet["filename"].rpartition(".")
    return download(base64.b64decode(sheet["content_base64"]), file_format, stem)


ROUTES = [
    Route("GET", "/scoring/plans", "list_plans", "Assessment plans, each at its latest version, a page at a time",
          STAFF_READERS, Call("scoring.list_plans", after=Query("after"), limit=Query("limit")), TAG, query=Paged,
          response=page_of(s.PlanSummary), description="By code; page on with `after` = `next`."),
    Route("GET", "/scoring/plans/{code}", "plan_versions", "Every version of a plan, with its document", STAFF_READERS,
          Call("scoring.plan_versions", code=Path("code")), TAG, path_schema=s.PlanPath, response=s.PlanVersion,
          wrap="items", whole="one plan's versions: a plan's own history, not a growing set of records"),
    Route("POST", "/scoring/plans", "save_plan", "A new version of a plan (a new code starts at 1)", DISTRICT_WIDE,
          Call("scoring.save_plan", document=BODY, actor=ACTOR), TAG, body=s.PlanDocument, gate=False,
          response=s.PlanVersion, status=201,
          description="The whole document is checked: weights adding up to 100 at every level, known measures, "
                      "sources, directions and normalisations, bands descending; a 400 names every failing "
                      "path (`parts.1.parts.0.indicators.2.weight`). An older version never changes."),
    Route("POST", "/scoring/self-assessments", "enter_self_assessment",
          "A village's monthly self-assessment of one grid (月度自考)", SELF_ASSESSORS,
          Call("scoring.enter_self_assessment", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="the grid in the caller's scope"), body=s.SelfAssessmentInput,
          response=s.SelfAssessment, status=201,
          description="Items with points out of their maximum; entering the month again replaces it (published "
                      "assessments keep what they computed)."),
    Route("POST", "/scoring/items", "enter_street_items", "The street's own items for a worker or a grid, a quarter",
          ASSESSORS, Call("scoring.enter_street_items", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="the subject's grid in the caller's scope"), body=s.StreetItemsInput,
          response=s.StreetItems, status=201),
    Route("POST", "/scoring/ratings", "rate", "A rating of a worker (360°, outside raters)", EVERYONE,
          Call("scoring.rate", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="by kind: a resident rates the workers of their own household's grid; a department "
                               "those whose tickets it handled; a community officer its workers; a worker themself; "
                               "a town enters outside raters' sheets for its workers", unscoped_anywhere=True,
                          outside=(403, None)),
          body=s.RatingInput, response=s.RatingView, status=201, errors=(409,),
          description="1-5 (an outside rater's sheet: 0-100); once per rater, person and period (409 "
                      "`RATING_EXISTS`); a rater of the wrong kind or person is 403 `NOT_YOURS_TO_RATE`."),
    Route("POST", "/assessments", "run_assessment", "Run a plan for a period and scope, as a draft", ASSESSORS,
          Call("scoring.run_assessment", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="`scope` in the caller's reach"), body=s.RunInput, response=s.AssessmentView,
          status=201, errors=(404, 409),
          description="Running a draft again replaces its results; a published assessment is a 409 "
                      "`ASSESSMENT_PUBLISHED` (correct it instead). A quarterly plan run for a year averages its "
                      "published quarters."),
    Route("GET", "/assessments", "list_assessments", "Assessments in the caller's scope, newest first",
          SUPERVISOR_READERS,
          Call("scoring.list_assessments", filters=QUERY, actor=ACTOR), TAG,
          scope=by_record(note="scopes within the caller's reach"), query=s.AssessmentQuery,
          response=page_of(s.AssessmentView), description="Page on with `after` = `next`."),
    Route("GET", "/assessments/{assessment_id}", "get_assessment", "One assessment", SUPERVISOR_READERS,
          Call("scoring.get_assessment", assessment_id=ASSESSMENT, actor=ACTOR), TAG, path_schema=s.AssessmentPath,
          scope=IN_SCOPE, response=s.AssessmentView),
    Route("POST", "/assessments/{assessment_id}/publish", "publish_assessment",
          "Publish: immutable from now on (公示)", ASSESSORS,
          Call("scoring.publish_assessment", assessment_id=ASSESSMENT, actor=ACTOR), TAG,
          path_schema=s.AssessmentPath, scope=IN_SCOPE, response=s.AssessmentView, errors=(409,),
          description="Announces `assessment_published` (figures only). An earlier published version is "
                      "superseded and stays readable."),
    Route("POST", "/assessments/{assessment_id}/corrections", "correct_assessment",
          "A correction: the next version, run on the data as it is now, with its reason", ASSESSORS,
          Call("scoring.correct_assessment", assessment_id=ASSESSMENT, data=BODY, actor=ACTOR), TAG,
          path_schema=s.AssessmentPath, scope=IN_SCOPE, body=s.CorrectionInput, response=s.AssessmentView,
          status=201, errors=(409,)),
    Route("GET", "/assessments/{assessment_id}/results", "assessment_results",
          "Results with their breakdowns (a worker reads their own)", EVERYONE,
          Call("scoring.assessment_results", assessment_id=ASSESSMENT, subject=Query("subject"), actor=ACTOR,
               after=Query("after"), limit=Query("limit")), TAG,
          path_schema=s.AssessmentPath, query=s.ResultsPageQuery, response=s.Results,
          scope=by_record(note="supervisors reaching the scope read every result; anyone else their own (403 "
                               "`NOT_YOUR_RESULT`)", unscoped_anywhere=True, outside=(403, None)),
          description="Each score's breakdown: which part and indicator gave how many points, from which facts "
                      "(counts, and the first ids of the tickets, patrols and visits behind them; "
                      "`/refs` gives them all). In rank order; page on with `after` = `next`."),
    Route("GET", "/assessments/{assessment_id}/refs", "result_refs", "Every fact behind a worker's result",
          EVERYONE, Call("scoring.result_refs", assessment_id=ASSESSMENT, subject=Query("subject"), actor=ACTOR),
          TAG, path_schema=s.AssessmentPath, query=s.ResultsQuery, response=s.Refs,
          scope=by_record(note="as results", unscoped_anywhere=True, outside=(403, None))),
    Route("GET", "/assessments/{assessment_id}/export", "export_assessment",
          "The posted sheet (公示) as XLSX or CSV, Chinese headers", STAFF_READERS, export, TAG,
          path_schema=s.AssessmentPath, query=s.ExportQuery,
          scope=by_record(note="a published sheet: the scope's staff; a draft: supervisors reaching it"),
          response=SHEET_ANSWER),
    Route("GET", "/rankings", "ranking", "The ranking of the latest published assessment", STAFF_READERS,
          Call("scoring.ranking", plan=Query("plan"), period=Query("period"), scope=Query("scope"), actor=ACTOR,
               after=Query("after"), limit=Query("limit")),
          TAG, query=s.RankingQuery, response=s.Results, errors=(404,),
          scope=by_record(note="posted within the scope: those who reach it or work inside it"),
          description="Ties share a rank; a subject with little volume is shrunk toward the scope's mean and, "
                      "below the plan's minimum volume, neither commended nor reminded. The top ones "
                      "(`commend_top`, 10) are commended, the bottom ones (`remind_bottom`, 5) get a reminder "
                      "talk. In rank order; page on with `after` = `next`."),
    Route("GET", "/consequences", "consequences", "What a street acts on for a year", MANAGER_READERS,
          Call("scoring.consequences", plan=Query("plan"), year=Query("year"), scope=Query("scope"), actor=ACTOR),
          TAG, query=s.ConsequencesQuery, response=s.Consequences, errors=(404,),
          scope=by_record(note="`scope` in the caller's reach"),
          description="Contract review (failed the year), reserve cadre candidates (excellent two years running, "
                      "level-4/5 workers), Pinggu's three priorities where the plan has them, pay tiers by band."),
]
