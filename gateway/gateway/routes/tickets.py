"""The closed loop (事件闭环): reports, the queue, actions, the trail, statistics, and
the reports a district sends up (报表) as files."""
import eventlet

from common.roles import EVERYONE, REPORTERS, SUPERVISOR_READERS
from common.sheets import Sheet
from gateway.downloads import SHEET_ANSWER, sheet_download
from gateway.routing import ACTOR, BODY, ROOT, Call, Const, Header, Path, Query, Route, by_record, in_root, wire
from gateway.schemas import tickets as s
from gateway.schemas.base import TicketPath

TAG = "tickets"
TICKET = Path("ticket_id")
HIDDEN = by_record(hidden=True, note="in the caller's grid scope, dispatched to its department, or its own "
                                     "report; otherwise 404, exactly as for a free number")
IDEMPOTENCY_KEY = Header("Idempotency-Key")


FILTERS = ("root", "start", "end", "category", "grade", "source", "level", "review_flag", "overdue", "responsible")


def _filters(query, names):
    filters = {name: wire(query[name]) for name in names}
    filters["status"] = query["status"].split(",") if query["status"] else None
    return filters


def list_tickets(ctx):
    filters = _filters(ctx.query, FILTERS + ("before", "limit"))
    return ctx.rpc("tickets").list_tickets(filters=filters, actor=ctx.actor.to_wire())


def export_statistics(ctx):
    """The statistics as a report's sheets, written as the asked format."""
    query = ctx.query
    report = ctx.rpc("tickets").statistics_report(root=ctx.root, start=wire(query["start"]), end=wire(query["end"]),
                                                  lang=query["lang"])
    return sheet_download([Sheet(**sheet) for sheet in report["sheets"]], query["format"], report["filename_stem"],
                          "a statistics report")


def export_tickets(ctx):
    """The ticket list as a file, streamed: tickets is asked for it a page at a time
    (keyset cursor, the list's own), the next page while this one is written, so no
    reply is larger than a page (about a megabyte) and the gateway holds two pages at
    most, however many thousand tickets the file has. The first page is asked before
    the answer starts: a refusal (the reach, too many tickets, tickets down) is still
    a JSON error."""
    tickets, actor, lang = ctx.rpc("tickets"), ctx.actor.to_wire(), ctx.query["lang"]
    filters = dict(_filters(ctx.query, FILTERS), root=ctx.root)
    first = tickets.export_tickets(filters=filters, actor=actor, lang=lang)

    def rows():
        page, following = first, None
        try:
            while True:
                if page["next"]:
                    following = eventlet.spawn(tickets.export_tickets, filters=filters, actor=actor, lang=lang,
                                               before=page["next"])
                yield from page["rows"]
                if following is None:
                    return
                page, following = following.wait(), None
        finally:
            if following is not None:  # the client went away: the page asked for is not wanted
                following.kill()

    sheet = Sheet(name=first["sheet_name"], title=first["title"], header=first["header"], widths=first["widths"],
                  rows=rows())
    return sheet_download([sheet], ctx.query["format"], first["filename_stem"], "a ticket export")


ROUTES = [
    Route("GET", "/tickets/categories", "ticket_categories", "The responsibility catalogue (责任清单)", EVERYONE,
          Call("tickets.categories"), TAG, response=s.Category, wrap="items",
          whole="the catalogue the deployment configures (TICKET_CATALOGUE), not records that pile up",
          description="Codes, names, default department, grid admission, duplicate radius, SLA per grade."),
    Route("POST", "/tickets", "report_ticket", "Report a problem: a ticket with its deadlines", REPORTERS,
          Call("tickets.report_ticket", data=BODY, actor=ACTOR, idempotency_key=IDEMPOTENCY_KEY), TAG,
          scope=by_record(note="grid staff inside their scope; residents and departments anywhere",
                          unscoped_anywhere=True),
          body=s.NewTicket, response=s.Ticket, status=201, errors=(409,),
          description="By `location` (lon, lat, crs) or `grid_code`. The reporter is the signed-in caller: "
                      "any other field (`reporter_account_id` and the like) is a 400 naming it. `attachments`: up to 20 references "
                      "(http(s) or s3/oss/cos/obs addresses, or storage keys); `javascript:`, `data:` and the "
                      "like are refused. An `Idempotency-Key` header (up to 100 visible ASCII characters) replays "
                      "the first result, also to a retry racing the first; a key reused for another request is a "
                      "409 `IDEMPOTENCY_KEY_REUSED`. `source` follows the reporter: a resident's report is "
                      "`resident_report`, a department's `department_referral` (another value: 400 "
                      "`SOURCE_NOT_YOURS`); a district officer's defaults to `hotline_12345`, grid staff's to "
                      "`grid_patrol`. An anonymous report stores no name or phone and hides the reporter's "
                      "account from everyone but the reporter."),
    Route("GET", "/tickets", "list_tickets", "Tickets newest first, a page at a time", EVERYONE, list_tickets, TAG,
          scope=by_record(note="tickets in the caller's scope (`root` in it); an account without a scope: its own "
                               "reports and its department's dispatches"),
          query=s.TicketListQuery, response=s.TicketPage,
          description="`status`: states, comma-separated, or `open` (reported, accepted, handling); "
                      "`overdue=true`: open, not suspended and past a running deadline now; `from`/`to`: reported "
                      "on those days (Asia/Shanghai, both included); `responsible`: a person id, or `me` for the "
                      "caller's own to-do list; `review_flag=burst`: reports through a grid's card that came in a "
                      "burst, to look at first. Pass `next` as `before` for the following page."),
    Route("GET", "/tickets/statistics", "ticket_statistics", "Counts, rates and times over a subtree and period",
          SUPERVISOR_READERS, Call("tickets.ticket_statistics", root=ROOT, start=Query("start"), end=Query("end")), TAG,
          scope=in_root(must_exist=True), query=s.StatisticsQuery, response=s.Statistics,
          description="Tickets reported on those days (Asia/Shanghai; default the last 30 days): counts by status, "
                      "category, grade, source and outcome; resolution, on-time and satisfaction rates; where "
                      "tickets were resolved; median and p90 hours to accept and resolve; SLA breaches by clock "
                      "and department. A `root` that names no grid is a 404, not a page of zeros."),
    Route("GET", "/tickets/statistics/export", "export_ticket_statistics",
          "The statistics as a report to send up (报表): XLSX or CSV, Chinese headers", SUPERVISOR_READERS,
          export_statistics, TAG, scope=in_root(must_exist=True), query=s.StatisticsExportQuery,
          response=SHEET_ANSWER,
          description="What `GET /tickets/statistics` answers for the same `root`, `from` and `to`, as the file a "
                      "district sends up: a day (`from` = `to`) for the daily report, a month for the monthly "
                      "one. Sheets: the summary with each figure beside the previous period (环比) and the same "
                      "period last year (同比) and their changes, the counts by status, grade, source, outcome, "
                      "level and category, and the breakdowns per grid under the root, per category and per "
                      "summoned department. Rates in percent, their changes in percentage points. "
                      "`lang=en`: English headers. The file is named in Chinese (`filename*`, RFC 5987)."),
    Route("GET", "/tickets/export", "export_tickets", "The ticket list as XLSX or CSV, Chinese headers, streamed",
          SUPERVISOR_READERS, export_tickets, TAG, scope=in_root(must_exist=True), query=s.TicketExportQuery,
          response=SHEET_ANSWER,
          description="Every ticket `GET /tickets` lists with the same filters (newest first), as it stood when "
                      "its page was read, one row each: number, times, grid, category, grade, source, state, "
                      "level, outcome, lead department, on time, satisfaction, description and reporter (the "
                      "phone masked, an anonymous reporter unnamed). Written while it is sent; at most 200,000 "
                      "tickets (400 `EXPORT_TOO_LARGE` before anything is sent: ask for fewer days or a smaller "
                      "root). `lang=en`: English headers and words."),
    Route("GET", "/tickets/{ticket_id}", "get_ticket", "One ticket, with the actions the caller may take", EVERYONE,
          Call("tickets.get_ticket", ticket_id=TICKET, viewer=ACTOR, with_actions=Const(True),
               reveal=Query("reveal")), TAG, path_schema=TicketPath, scope=HIDDEN, query=s.RevealQuery,
          response=s.TicketDetail,
          description="`allowed_actions`: what the ticket's state and level admit; `your_actions`: those the "
                      "caller may take. The reporter's phone is masked; `reveal=true` shows it to the reporter, "
                      "to `PII_CLEAR_ROLES` and to the ticket's handlers (403 `CLEAR_PERSONAL_DATA_FORBIDDEN` "
                      "otherwise); every clear read but the reporter's own is logged."),
    Route("POST", "/tickets/{ticket_id}/actions", "act_on_ticket", "Take a step of the loop", EVERYONE,
          Call("tickets.act", ticket_id=TICKET, body=BODY, actor=ACTOR, idempotency_key=IDEMPOTENCY_KEY), TAG,
          path_schema=TicketPath, scope=HIDDEN, body=s.Action, response=s.Acted, errors=(409,),
          description="`{\"action\", \"version\", ...}` (`version` a whole number from 1, `satisfaction` "
                      "one from 1 to 5): 409 `ACTION_NOT_ALLOWED` says why and lists what the "
                      "ticket admits, 409 `VERSION_CONFLICT` when someone acted first; who may take each action "
                      "is in the README's closed-loop table. `Idempotency-Key` honoured."),
    Route("GET", "/tickets/{ticket_id}/history", "ticket_history", "The ticket's trail", EVERYONE,
          Call("tickets.ticket_history", ticket_id=TICKET, viewer=ACTOR), TAG, path_schema=TicketPath,
          scope=HIDDEN, response=s.TrailEntry, wrap="items",
          whole="one ticket's trail: its steps, each hash chained to the one before, read and checked together",
          description="Every step with actor, role, time, states and levels, and its hash chained to the one "
                      "before. Wherever a ticket's id goes, its readable number (`20261123-00001`) does too."),
    Route("GET", "/tickets/{ticket_id}/verify", "verify_ticket", "Whether the trail and the ticket are untouched",
          EVERYONE, Call("tickets.verify_ticket", ticket_id=TICKET, viewer=ACTOR), TAG, path_schema=TicketPath,
          scope=HIDDEN, response=s.Verification,
          description="The trail's hash chain, the ticket row against the seal of its newest entry (a problem "
                      "names the edited `fields`), and the trail against the head the scoring service witnessed "
                      "(`witness`: `{\"checked\": true, \"witnessed\", \"trail_seq\"}`; if scoring does not "
                      "answer, `{\"checked\": false, \"reason\"}` and `intact` reflects the local checks only)."),

]
