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


def _page(title, body):
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
  @media print {{ .card {{ margin: 0; border-width: 1px; }} }}
</style></head><body>{body}</body></html>""", mimetype="text/html",
                    headers={"Content-Security-Policy": PAGE_POLICY})


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


def report_form(ctx):
    """Where the QR code leads: the grid's report form (its POST comes with the QR
    reports route)."""
    card = ctx.rpc("grid").grid_card(code=ctx.path["code"])
    name = html.escape(card["grid"]["name"])
    body = f"""<div class="card"><h1>{name}</h1>
<p class="where">反映问题 / report a problem in this grid</p>
<p>请拨打值班电话，或登录居民账号在"我的网格"中上报。 /
Call the duty line, or sign in with your resident account to report.</p>
<p class="duty">值班电话 / duty line: <strong>{html.escape(card["duty_phone"] or "—")}</strong></p></div>"""
    return _page(f"{card['grid']['name']} 反映问题", body)


def sign_up(ctx):
    """A resident's sign-up, counted against its client address's hourly limit."""
    return ctx.rpc("people").sign_up(data=ctx.body, client_address=ctx.service.tokens.client_address(ctx.request))


CARD_PATH = "/public/grids/{code}"
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
    Route("POST", "/public/sign-ups", "public_sign_up", "A resident signs up (an officer opens the account)", None,
          sign_up, TAG, body=s.NewSignUp, response=s.SignedUp, status=201, errors=(409, 429),
          description="No SMS gateway here: a community officer checks the sign-up and opens the account by "
                      "linking it to a resident registered in a household (`POST /sign-ups/{id}/approve`); until "
                      "then nobody can sign in with it. A weak password or a number that is no mobile number: 400 "
                      "naming it; a username taken (by an account or a pending sign-up): 409; more than "
                      "`SIGNUP_LIMIT_PER_HOUR` from one address in an hour: 429."),
]
