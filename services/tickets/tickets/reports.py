"""Reports a district sends up (报表): the statistics of a subtree and period as sheets,
and the ticket list as rows, with headers and words in Simplified Chinese (``lang``
"zh") or English ("en"). Plain data (names, header, rows of cells): the gateway
writes them as XLSX or CSV (common.sheets). Free of nameko.

Rates are shown in percent (91.23 for 0.9123) and their changes in percentage points,
as Chinese reports give them; a change in percent is of the figure compared with
(同比下降14% is a change of -14.0 from the same period last year).
"""
from common.shanghai import SHANGHAI
from tickets.labels import YES_NO, text, word, words
from tickets.statistics import COMPARED

MAX_EXPORT_ROWS = 200_000  # a district's busy quarter; an XLSX sheet of these stays far below 4 GiB
EXPORT_PAGE_ROWS = 2_000   # rows per RPC reply: about a megabyte of JSON


def percent(rate):
    return None if rate is None else round(rate * 100, 2)


def moment(value):
    """A time as a Shanghai wall-clock minute, '2026-11-23 09:30'."""
    return "" if value is None else value.astimezone(SHANGHAI).isoformat(" ", "minutes")[:16]


def _scope_text(root, root_name, lang):
    if not root:
        return text(("全区", "whole district"), lang)
    return f"{root_name} ({root})" if root_name else root


# --- the statistics -------------------------------------------------------------------------

COUNT, RATE, HOURS, TIMES = ("件", "tickets"), ("%", "%"), ("小时", "hours"), ("次", "times")
# (label, unit, where the answer holds it): the periods compared hold the figures that
# statistics.COMPARED names, under the same keys.
SUMMARY = (
    (("事件总数", "tickets reported"), COUNT, ("total",)),
    (("办结数", "tickets solved"), COUNT, ("solved",)),
    (("撤回数", "withdrawn"), COUNT, ("withdrawn",)),
    (("办结率", "resolution rate"), RATE, ("resolution_rate",)),
    (("按期办结率", "on-time rate"), RATE, ("on_time_rate",)),
    (("满意率", "satisfaction rate"), RATE, ("satisfaction_rate",)),
    (("评价数", "ratings"), COUNT, ("ratings",)),
    (("网格、村(社区)、镇(街道)办结占比", "share solved below department level"), RATE,
     ("share_solved_below_department",)),
    (("超期未办结", "open past a deadline now"), COUNT, ("open_overdue",)),
    (("受理时长中位数", "hours to accept, median"), HOURS, ("hours_to_accept", "median")),
    (("受理时长90%分位", "hours to accept, 90th percentile"), HOURS, ("hours_to_accept", "p90")),
    (("办结时长中位数", "hours to resolve, median"), HOURS, ("hours_to_resolve", "median")),
    (("办结时长90%分位", "hours to resolve, 90th percentile"), HOURS, ("hours_to_resolve", "p90")),
    (("超时次数", "SLA breaches"), TIMES, ("sla_breaches", "total")),
    (("超时事件数", "tickets that breached a deadline"), COUNT, ("sla_breaches", "tickets")),
    (("超时事件占比", "share of tickets that breached"), RATE, ("sla_breaches", "rate")),
)
COMPARISONS = (("previous_period", ("上期", "previous period"), ("环比", "vs previous")),
               ("same_period_last_year", ("去年同期", "same period last year"), ("同比", "vs last year")))
DISTRIBUTIONS = ((("状态", "status"), "by_status", "status"), (("等级", "grade"), "by_grade", "grade"),
                 (("来源", "source"), "by_source", "source"), (("办结结果", "outcome"), "by_outcome", "outcome"),
                 (("办结层级", "level solved at"), "resolved_at_level", "level"))
BREAKDOWN_FIGURES = ((("事件数", "tickets"), "total", None), (("办结数", "solved"), "solved", None),
                     (("办结率(%)", "resolution rate (%)"), "resolution_rate", percent),
                     (("按期办结率(%)", "on-time rate (%)"), "on_time_rate", percent),
                     (("满意率(%)", "satisfaction rate (%)"), "satisfaction_rate", percent),
                     (("超期未办结", "open past a deadline"), "open_overdue", None))
DEPARTMENT_FIGURES = ((("派单次数", "summoned"), "summoned", None), (("牵头次数", "as lead"), "lead", None),
                      (("已签收", "signed"), "signed", None), (("按时签收", "signed on time"), "signed_on_time", None),
                      (("已反馈", "reported back"), "reported_back", None),
                      (("按时反馈", "reported back on time"), "reported_back_on_time", None),
                      (("按时反馈率(%)", "on-time rate (%)"), "on_time_rate", percent),
                      (("超时次数", "SLA breaches"), "breaches", None))


def _shown(value, unit):
    return percent(value) if unit is RATE else value


def _change_shown(change, unit):
    absolute = change["absolute"]
    return (percent(absolute) if unit is RATE and absolute is not None else absolute), change["percent"]


def statistics_sheets(answer, *, root_name, lang, labels_of_categories):
    """(title, filename stem, [sheet dicts]) for ``answer`` (statistics.ticket_statistics
    with its breakdowns named). ``labels_of_categories``: {code: name} for the
    distribution of categories."""
    period = f"{answer['from']} {text(('至', 'to'), lang)} {answer['to']}"
    scope = _scope_text(answer["root"], root_name, lang)
    title = f"{scope} {text(('事件统计', 'ticket statistics'), lang)} {period}"
    header = [text(("指标", "figure"), lang), text(("单位", "unit"), lang), text(("本期", "this period"), lang)]
    for key, name, change_name in COMPARISONS:
        compared = answer["comparisons"][key]
        header += [f"{text(name, lang)} ({compared['from']}~{compared['to']})",
                   f"{text(change_name, lang)}{text(('增减', ' change'), lang)}",
                   f"{text(change_name, lang)}{text(('增减率(%)', ' change (%)'), lang)}"]
    summary = []
    for label, unit, path in SUMMARY:
        value = answer
        for key in path:
            value = value[key]
        row = [text(label, lang), text(unit, lang), _shown(value, unit)]
        for key, _, _ in COMPARISONS:
            other = answer["comparisons"][key]
            row += [_shown(other[path[0]], unit), *_change_shown(other["change"][path[0]], unit)] \
                if path[0] in COMPARED else [None, None, None]
        summary.append(row)
    distribution = [[text(dimension, lang), word(kind, code, lang), count]
                    for dimension, field, kind in DISTRIBUTIONS for code, count in answer[field].items()]
    distribution += [[text(("类别", "category"), lang), labels_of_categories.get(code) or code, count]
                     for code, count in answer["by_category"].items()]
    breakdowns = answer["breakdowns"]
    sheets = [
        {"name": text(("总体情况", "Summary"), lang), "title": title, "header": header, "rows": summary},
        {"name": text(("分项统计", "Distribution"), lang), "title": title,
         "header": [text(("维度", "dimension"), lang), text(("项目", "value"), lang), text(("件数", "tickets"), lang)],
         "rows": distribution},
        _breakdown_sheet(("按网格", "By grid"), ("网格编码", "grid code"), ("网格名称", "grid name"),
                         breakdowns["grids"], BREAKDOWN_FIGURES, title, lang),
        _breakdown_sheet(("按类别", "By category"), ("类别编码", "category code"), ("类别名称", "category"),
                         breakdowns["categories"], BREAKDOWN_FIGURES, title, lang),
        _breakdown_sheet(("按部门", "By department"), ("部门编码", "department code"), ("部门名称", "department"),
                         breakdowns["departments"], DEPARTMENT_FIGURES, title, lang),
    ]
    stem = f"{text(('事件统计', 'ticket-statistics'), lang)}_{answer['root'] or text(('全区', 'district'), lang)}_" \
           f"{answer['from']}_{answer['to']}"
    return title, stem, sheets


def _breakdown_sheet(name, code_label, name_label, rows, figures, title, lang):
    return {"name": text(name, lang), "title": title,
            "header": [text(code_label, lang), text(name_label, lang)] + [text(label, lang) for label, _, _ in figures],
            "rows": [[row["code"], row.get("name") or ""] +
                     [(shown(row[key]) if shown else row[key]) for _, key, shown in figures] for row in rows]}


# --- the ticket list --------------------------------------------------------------------------
# (label, column width): what an export of GET /tickets shows of each ticket, no more
# than its reader reads there (the reporter's phone masked, an anonymous reporter unnamed).
TICKET_COLUMNS = (
    (("事件编号", "number"), 16), (("上报时间", "reported at"), 17), (("网格编码", "grid code"), 18),
    (("网格名称", "grid"), 20), (("类别编码", "category code"), 10), (("事件类别", "category"), 16),
    (("等级", "grade"), 8), (("来源", "source"), 12), (("状态", "status"), 10),
    (("当前层级", "level"), 12), (("办结结果", "outcome"), 12), (("办结层级", "level solved at"), 12),
    (("牵头部门", "lead department"), 20), (("受理时间", "accepted at"), 17), (("办结时间", "resolved at"), 17),
    (("办结时限", "resolve by"), 17), (("按期办结", "on time"), 10), (("满意度", "satisfaction"), 8),
    (("重办次数", "reopened"), 8), (("事件描述", "description"), 50), (("报告人", "reporter"), 10),
    (("联系电话", "phone (masked)"), 14),
)


def ticket_header(lang):
    return [text(label, lang) for label, _ in TICKET_COLUMNS], [width for _, width in TICKET_COLUMNS]


def ticket_rows(tickets, *, lang, grids, categories, departments):
    """Each ticket's cells, in TICKET_COLUMNS' order. ``tickets``: rows of
    queries.EXPORT_COLUMNS (times already Shanghai text); ``grids``, ``categories``,
    ``departments``: {code: name}. Unpacked as tuples, words looked up in plain dicts:
    a hundred thousand rows."""
    vocabulary, on_time = words(lang), {True: text(YES_NO[True], lang), False: text(YES_NO[False], lang)}
    grades, sources, states, levels, outcomes = (vocabulary[kind] for kind in ("grade", "source", "status", "level",
                                                                                "outcome"))
    return [[number, reported, grid_code, grids.get(grid_code, ""), category, categories.get(category, category),
             grades.get(grade, grade), sources.get(source, source), states.get(status, status),
             levels.get(level, level or ""), outcomes.get(outcome, outcome or ""),
             levels.get(resolved_level, resolved_level or ""), departments.get(lead_department, lead_department) or "",
             accepted or "", resolved or "", due or "", None if in_time is None else on_time[bool(in_time)],
             satisfaction, reopen_count, description, reporter_name or "", reporter_phone_masked or ""]
            for (number, reported, grid_code, category, grade, source, status, level, outcome, resolved_level,
                 lead_department, accepted, resolved, due, in_time, satisfaction, reopen_count, description,
                 reporter_name, reporter_phone_masked, _, _) in tickets]


def tickets_sheet_name(lang):
    return text(("事件清单", "Tickets"), lang)


def tickets_title(root, root_name, filters, lang, now):
    """The sheet's title line: scope, days, and when it was taken (the list is as it
    stood then)."""
    start, end = filters.get("start"), filters.get("end")
    days = ""
    if start or end:
        days = f" {start or ''} {text(('至', 'to'), lang)} {end or ''}"
    taken = text(("导出于", "exported"), lang) + " " + moment(now)
    return f"{_scope_text(root, root_name, lang)} {tickets_sheet_name(lang)}{days} ({taken})"


def tickets_filename_stem(root, filters, lang, now):
    days = "_".join(str(filters[key]) for key in ("start", "end") if filters.get(key)) or \
        now.astimezone(SHANGHAI).date().isoformat()
    return f"{text(('事件清单', 'tickets'), lang)}_{root or text(('全区', 'district'), lang)}_{days}"
