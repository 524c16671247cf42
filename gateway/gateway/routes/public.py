"""The public door, reachable with no sign-in: a grid's card (上岗公示) for the board on
the wall. It shows the grid, its staff on duty (names and roles, never their numbers), a
duty line and a QR code; scanning the code opens the grid's report form.

Seed 004 complains of residents who have never met their grid's workers (素未谋面);
the board with names and a QR code is how districts answer it. The QR code holds the
report form's address under PUBLIC_BASE_URL (the address residents reach the gateway
at); without it, the address the request came in on.
"""
import html
import io

import segno
from werkzeug.wrappers import Response

from common.errors import InvalidInput, NotFound, TooManyRequests, http_status
from common.http import read_form, retry_after
from common.validation import refuse_bad_characters
from gateway.routing import API, Route
from gateway.schemas import public as s
from gateway.schemas.base import GridCodePath

TAG = "public"
# No script and nothing from elsewhere; the QR code is inline SVG.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'"


def report_url(ctx, code):
    base = ctx.service.public_site or ctx.request.host_url.rstrip("/")
    return f"{base}{API}/public/grids/{code}/report"


def _qr(ctx, code):
    return segno.make(report_url(ctx, code), error="m")


def grid_card(ctx):
    """The grid's card: the registry's part and who is on duty there today."""
    code = ctx.path["code"]
    card = ctx.rpc("grid").grid_card(code=code)      # 404 first: no card for a grid that is not
    staff = ctx.rpc("people").staff_on_duty(grid_code=code)
    links = f"{API}/public/grids/{code}"
    return {**card, "staff": staff, "report_url": report_url(ctx, code),
            "qr": {"svg": f"{links}/qr.svg", "png": f"{links}/qr.png"}, "printable": f"{links}/card.html"}


def qr_svg(ctx):
    ctx.rpc("grid").grid_card(code=ctx.path["code"])
    out = io.BytesIO()
    _qr(ctx, ctx.path["code"]).save(out, kind="svg", scale=8, border=4, xmldecl=False)
    return Response(out.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})


def qr_png(ctx):
    ctx.rpc("grid").grid_card(code=ctx.path["code"])
    out = io.BytesIO()
    _qr(ctx, ctx.path["code"]).save(out, kind="png", scale=10, border=4)
    return Response(out.getvalue(), mimetype="image/png", headers={"Cache-Control": "public, max-age=3600"})


def _page(title, body, status=200):
    return Response(f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
  body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; }}
  .card {{ width: 190mm; min-height: 277mm; margin: 10mm auto; padding: 10mm; box-sizing: border-box;
           border: 2px solid #b71c1c; }}
  h1 {{ color: #b71c1c; text-align: center; font-size: 28pt; margin: 0 0 4mm; }}
  .where {{ text-align: center; font-size: 14pt; color: #444; }}
  table {{ width: 100%; border-collapse: collapse; margin: 8mm 0; font-size: 16pt; }}
  td, th {{ border: 1px solid #999; padding: 3mm; text-align: left; }}
  .qr {{ text-align: center; }} .qr svg {{ width: 70mm; height: 70mm; }}
  .duty {{ font-size: 18pt; text-align: center; }}
  .problem {{ color: #b71c1c; font-weight: bold; }} .hint {{ color: #555; }}
  textarea, input, select {{ width: 100%; font-size: 14pt; box-sizing: border-box; }}
  button {{ font-size: 16pt; padding: 2mm 8mm; }}
  @media print {{ .card {{ margin: 0; border-width: 1px; }} }}
</style></head><body>{body}</body></html>""", status=status, mimetype="text/html",
                    headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store"})


def printable_card(ctx):
    """An A4 page of the card, to print for the board (Chinese, English beside)."""
    card = grid_card(ctx)
    code = ctx.path["code"]
    svg = io.BytesIO()
    _qr(ctx, code).save(svg, kind="svg", scale=8, border=4, xmldecl=False, svgns=True)
    where = " · ".join(html.escape(a["name"]) for a in card["above"])
    rows = "".join(f"<tr><td>{html.escape(p['role_label'])} {html.escape(p['role_label_en'])}</td>"
                   f"<td>{html.escape(p['name'])}</td></tr>" for p in card["staff"]) or \
        "<tr><td colspan=2>暂无在岗人员 / nobody posted yet</td></tr>"
    duty = html.escape(card["duty_phone"] or "—")
    hours = html.escape(card["service_hours"] or "")
    body = f"""<div class="card">
<h1>网格员上岗公示</h1>
<p class="where">{where}</p>
<p class="where"><strong>{html.escape(card["grid"]["name"])}</strong> ({code})</p>
<table><tr><th>岗位 / post</th><th>姓名 / name</th></tr>{rows}</table>
<p class="duty">值班电话 / duty line: <strong>{duty}</strong> {hours}</p>
<div class="qr">{svg.getvalue().decode()}<p>扫码反映问题 / scan to report a problem</p></div>
</div>"""
    return _page(f"{card['grid']['name']} 上岗公示", body)


def _form_page(ctx, card, *, values=None, problem=None, status=200):
    """The grid's report form (what the QR code opens); again with ``problem`` said
    above it and what was typed kept, when a submission was refused."""
    code, values = card["grid"]["code"], values or {}
    name = html.escape(card["grid"]["name"])
    chosen = values.get("category") or "OT99"
    options = "".join(
        f'<option value="{html.escape(c["code"])}"{" selected" if c["code"] == chosen else ""}>'
        f'{html.escape(c["name"])}</option>' for c in ctx.rpc("tickets").categories())
    said = f'<p class="problem" role="alert">{html.escape(problem)}</p>' if problem else ""

    def kept(field):
        return html.escape(values.get(field) or "")
    body = f"""<div class="card"><h1>{name}</h1>
<p class="where">反映问题 / report a problem in this grid ({code})</p>{said}
<form method="post" action="{API}/public/grids/{code}/report">
<p><label>问题类别 / kind<br><select name="category">{options}</select></label></p>
<p><label>问题描述 / what is wrong (4–1000 字)<br>
<textarea name="description" rows="6" required minlength="4" maxlength="1000">{kept("description")}</textarea></label></p>
<p><label>姓名 / name (选填 optional)<br><input name="name" maxlength="50" value="{kept("name")}"></label></p>
<p><label>手机号 / mobile (选填，便于回访 optional, to be called back)<br>
<input name="phone" inputmode="tel" maxlength="20" value="{kept("phone")}"></label></p>
<p class="hint">不留姓名和电话即为匿名反映，凭查询码查看进度。/ Leave both out to report anonymously;
follow it with the tracking code.</p>
<p><button type="submit">提交 / send</button></p></form>
<p class="duty">值班电话 / duty line: <strong>{html.escape(card["duty_phone"] or "—")}</strong></p>
<p><a href="{API}/public/track">查询办理进度 / follow a report</a></p></div>"""
    return _page(f"{card['grid']['name']} 反映问题", body, status=status)


def report_form(ctx):
    return _form_page(ctx, ctx.rpc("grid").grid_card(code=ctx.path["code"]))


def _send_card_report(ctx, code, data):
    return ctx.rpc("tickets").report_from_card(grid_code=code, data=data,
                                               client_address=ctx.service.tokens.client_address(ctx.request))


def card_report(ctx):
    """A report through the card as JSON (an app, a kiosk): the card's grid first."""
    ctx.rpc("grid").grid_card(code=ctx.path["code"])  # 404 for a grid with no card (none, or retired)
    return _send_card_report(ctx, ctx.path["code"], ctx.body)


# Why the form was refused, as a resident reads it (by the field the service named).
FORM_PROBLEMS = {
    "description": "请填写问题描述（4 至 1000 字）。/ Say what is wrong in 4 to 1,000 characters.",
    "phone": "手机号码不正确，请检查或留空。/ That mobile number is not right; check it or leave it out.",
    "name": "姓名过长。/ The name is too long.",
    "category": "请选择问题类别。/ Choose a kind of problem.",
}
FORM_FIELDS = ("category", "description", "name", "phone")


def _problem(error):
    if isinstance(error, TooManyRequests):
        return ("提交过于频繁，请稍后再试，或拨打值班电话。/ Too many reports from here for now: try again later, "
                "or call the duty line.")
    named = [error.details.get("field")] + list((error.details.get("fields") or {}).keys())
    return next((FORM_PROBLEMS[f] for f in named if f in FORM_PROBLEMS), error.message)


def submit_report_form(ctx):
    """The form's POST: a thank-you page with the number and tracking code, or the form
    again saying what to correct (400, or 429 past the hour's limit)."""
    code = ctx.path["code"]
    card = ctx.rpc("grid").grid_card(code=code)
    form = read_form(ctx.request)
    refuse_bad_characters(form, "form fields")
    unknown = sorted(set(form) - set(FORM_FIELDS))
    if unknown:
        raise InvalidInput(f"Unknown form field {unknown[0]!r}.", code="VALIDATION_FAILED",
                           details={"field": unknown[0], "allowed": list(FORM_FIELDS)})
    values = {name: form[name].strip() for name in FORM_FIELDS if form.get(name, "").strip()}
    try:
        receipt = _send_card_report(ctx, code, values)
    except (InvalidInput, TooManyRequests) as error:
        status = http_status(error)
        page = _form_page(ctx, card, values=values, problem=_problem(error), status=status)
        wait = retry_after(error, status)
        if wait is not None:  # a 429 says when, as every other one does
            page.headers["Retry-After"] = str(wait)
        return page
    track = f"{API}/public/track?code={receipt['tracking_code']}"
    flagged = "<p>该网格近期反映较多，您的问题将由工作人员核实后办理。/ Many reports came here at once: " \
              "an officer looks at yours first.</p>" if receipt["review_flag"] else ""
    body = f"""<div class="card"><h1>已收到 / received</h1>
<p class="where">{html.escape(card["grid"]["name"])} · {html.escape(receipt["category_name"])}</p>
<p class="duty">编号 / number: <strong>{html.escape(receipt["number"])}</strong></p>
<p class="duty">查询码 / tracking code: <strong>{html.escape(receipt["tracking_code"])}</strong></p>
<p>请记下查询码，凭它查看办理进度（只显示这一次）。/ Note the tracking code: it is shown this once, and
follows your report.</p>{flagged}
<p><a href="{html.escape(track)}">查看进度 / follow it</a></p></div>"""
    return _page("已收到 / received", body, status=201)


def track_report(ctx):
    return ctx.rpc("tickets").track_card_report(tracking_code=ctx.path["tracking_code"])


def track_page(ctx):
    """A page to follow a report by its tracking code (a form asking for it without one)."""
    code, problem, found = ctx.query.get("code"), "", None
    if code:
        try:
            found = ctx.rpc("tickets").track_card_report(tracking_code=code)
        except (InvalidInput, NotFound):
            problem = '<p class="problem" role="alert">查询码不正确。/ No report has this tracking code.</p>'
    shown = ""
    if found:
        outcome = found["outcome_label"]
        shown = f"""<table><tr><th>编号 / number</th><td>{html.escape(found["number"])}</td></tr>
<tr><th>类别 / kind</th><td>{html.escape(found["category_name"])}</td></tr>
<tr><th>进度 / progress</th><td>{html.escape(found["status_label"]["zh"])} /
{html.escape(found["status_label"]["en"])}</td></tr>
<tr><th>结果 / result</th><td>{html.escape(outcome["zh"] + " / " + outcome["en"]) if outcome else "—"}</td></tr>
</table>"""
    body = f"""<div class="card"><h1>办理进度 / progress</h1>{problem}{shown}
<form method="get" action="{API}/public/track"><p><label>查询码 / tracking code<br>
<input name="code" maxlength="40" value="{html.escape(code or "")}"></label>
<button type="submit">查询 / look up</button></p></form></div>"""
    return _page("办理进度 / progress", body, status=404 if problem else 200)


def sign_up(ctx):
    """A resident's sign-up, counted against its client address's hourly limit."""
    return ctx.rpc("people").sign_up(data=ctx.body, client_address=ctx.service.tokens.client_address(ctx.request))


CARD_PATH = "/public/grids/{code}"
HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}
ROUTES = [
    Route("GET", f"{CARD_PATH}/card", "public_grid_card", "A grid's public card: staff on duty, duty line, QR code",
          None, grid_card, TAG, path_schema=GridCodePath, response=s.GridCard,
          description="No sign-in: the board on the wall (上岗公示). Staff show with their names and roles only, "
                      "never a phone or an ID number; the duty line is the grid's (`PATCH /grids/{code}/card`). "
                      "A retired grid or a code naming none is 404."),
    Route("GET", f"{CARD_PATH}/qr.svg", "public_grid_qr_svg", "The card's QR code as SVG (the grid's report form)",
          None, qr_svg, TAG, path_schema=GridCodePath, response={"image/svg+xml": {"schema": {"type": "string"}}}),
    Route("GET", f"{CARD_PATH}/qr.png", "public_grid_qr_png", "The card's QR code as PNG (the grid's report form)",
          None, qr_png, TAG, path_schema=GridCodePath,
          response={"image/png": {"schema": {"type": "string", "format": "binary"}}}),
    Route("GET", f"{CARD_PATH}/card.html", "public_grid_card_page", "The card as a printable A4 page", None,
          printable_card, TAG, path_schema=GridCodePath, response={"text/html": {"schema": {"type": "string"}}}),
    Route("GET", f"{CARD_PATH}/report", "public_grid_report_form", "Where the card's QR code leads", None,
          report_form, TAG, path_schema=GridCodePath, response={"text/html": {"schema": {"type": "string"}}}),
    Route("POST", f"{CARD_PATH}/report", "public_grid_report_form_send", "The report form, sent", None,
          submit_report_form, TAG, path_schema=GridCodePath, response=HTML_PAGE, status=201, errors=(415, 429),
          alternatives=((400, "the form again, saying what to correct"),
                        (429, "the form again: too many reports from this address for now")),
          description="The form the QR code opens, posted as `application/x-www-form-urlencoded` (or multipart): "
                      "fields `category`, `description`, `name`, `phone`. Answers a page with the report's number "
                      "and tracking code (201), or the form again saying what to correct (400, and 429 past the "
                      "hour's limit). As `POST /public/grids/{code}/reports` otherwise."),
    Route("POST", f"{CARD_PATH}/reports", "public_card_report", "Report a problem through a grid's card (no sign-in)",
          None, card_report, TAG, path_schema=GridCodePath, body=s.NewCardReport, response=s.CardReportReceipt,
          status=201, errors=(429,),
          description="Anyone, no token: the report carries the card's grid (source `qr_card`); a `location` must "
                      "lie inside it (400 `LOCATION_OUTSIDE_GRID`). Without `name` or `phone` it is anonymous. "
                      "The answer holds the number and a tracking code, given this once (only its keyed hash is "
                      "kept). Limits, on a keyed hash of the client address (never the address): "
                      "`CARD_REPORTS_PER_HOUR` (3) to one grid and `CARD_REPORTS_PER_ADDRESS_PER_HOUR` (10) to all, "
                      "then 429. When a card brought `CARD_BURST_REPORTS` (5) within `CARD_BURST_MINUTES` (10), "
                      "further reports are flagged `review_flag: burst` for an officer to look at first "
                      "(`GET /tickets?review_flag=burst`); they still run the loop. A grid with no card (none, or "
                      "retired) is 404."),
    Route("GET", "/public/reports/{tracking_code}", "public_card_report_progress",
          "Where a report through the card is, by its tracking code", None, track_report, TAG,
          path_schema=s.TrackingPath, response=s.CardReportProgress,
          description="The number, kind, progress and result, in Chinese and English; never who handles it or "
                      "anything of the reporter. Case, spaces and dashes do not matter, and O, I and L are read as "
                      "0, 1 and 1. A code no report has is 404 `TRACKING_CODE_NOT_FOUND`."),
    Route("GET", "/public/track", "public_track_page", "A page to follow a report by its tracking code", None,
          track_page, TAG, query=s.TrackQuery, response=HTML_PAGE, errors=(404,),
          alternatives=((404, "the page, saying no report has this tracking code"),),
          description="`code`: the tracking code; without one the page asks for it, with one nobody has it says so "
                      "(404)."),
    Route("POST", "/public/sign-ups", "public_sign_up", "A resident signs up (an officer opens the account)", None,
          sign_up, TAG, body=s.NewSignUp, response=s.SignedUp, status=201, errors=(409, 429),
          description="No SMS gateway here: a community officer checks the sign-up and opens the account by "
                      "linking it to a resident registered in a household (`POST /sign-ups/{id}/approve`); until "
                      "then nobody can sign in with it. A weak password or a number that is no mobile number: 400 "
                      "naming it; a username taken (by an account or a pending sign-up): 409; more than "
                      "`SIGNUP_LIMIT_PER_HOUR` from one address in an hour: 429."),
]
