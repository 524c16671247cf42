"""The loop's words as staff read them in a report (报表), in Simplified Chinese and
English: states, grades, sources, levels, outcomes. Codes stay the API's; these are
what a sheet shows. (A resident following a card report reads the loop in words of
their own: card_reports.STATUS_LABELS.)"""
LANGUAGES = ("zh", "en")

VOCABULARY = {
    "status": {
        "reported": ("待受理", "reported"), "accepted": ("已受理", "accepted"), "handling": ("处置中", "handling"),
        "resolved": ("已办结", "resolved"), "feedback_given": ("已反馈", "feedback given"),
        "rated": ("已评价", "rated"), "closed": ("已结案", "closed"), "merged": ("已合并", "merged"),
    },
    "grade": {"daily": ("日常", "daily"), "urgent": ("紧急", "urgent"), "major": ("重大", "major")},  # 三上报
    "source": {
        "grid_patrol": ("网格巡查", "grid patrol"), "resident_report": ("居民上报", "resident report"),
        "hotline_12345": ("12345热线", "12345 hotline"), "department_referral": ("部门移交", "department referral"),
        "media": ("媒体反映", "media"), "qr_card": ("扫码上报", "grid card (QR code)"),
    },
    "level": {
        "grid": ("网格", "grid"), "community": ("村(社区)", "village / community"),
        "town": ("镇(街道)", "town / street"), "department": ("职能部门", "department"),
    },
    "outcome": {
        "fixed": ("已解决", "fixed"), "not_our_responsibility": ("非本级职责", "not our responsibility"),
        "cannot_fix": ("暂无法解决", "cannot fix"), "duplicate": ("重复事件", "duplicate"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
}
YES_NO = {True: ("是", "yes"), False: ("否", "no")}


def word(kind, code, lang):
    """The label of ``code`` in ``VOCABULARY[kind]`` (the code itself if it has none;
    "" for None)."""
    return words(lang)[kind].get(code, "" if code is None else code)


def words(lang):
    """{kind: {code: label}} in ``lang``: what a row of a sheet looks up, once per page."""
    return _WORDS[lang]


_WORDS = {lang: {kind: {code: pair[index] for code, pair in codes.items()} for kind, codes in VOCABULARY.items()}
          for index, lang in enumerate(LANGUAGES)}


def text(pair, lang):
    """One of a (zh, en) pair."""
    return pair[LANGUAGES.index(lang)]
