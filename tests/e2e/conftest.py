"""The portal's browser tests: Debian's Chromium, headless, driven by Playwright's sync
API, against the platform the integration tests share (tests/conftest.py ``stack``),
whose gateway serves the built portal at ``/portal/``.

- ``portal``: the running platform and the portal's address; ``portal.account(...)``
  makes an account to sign in with (its own username and password), ``portal.api``
  calls the API as the admin or an account.
- ``signed_in_page(account, viewport=...)``: a fresh browser context (its own storage)
  signed in through the sign-in form, the shell drawn.
- ``shot(page, step)``: a screenshot at ``e2e-screenshots/<test>/<NN>-<step>.png``;
  every page a test opened is also shot when it fails (``failed-<n>.png``).
- ``figure(...)``: a performance figure, printed at once and again in the session's
  summary ("portal figures") and written to ``e2e-screenshots/figures.txt``.

The browser reaches nothing but 127.0.0.1 (the resolver maps every other host to
nothing), as on a government network. The portal must be built first: ``make portal``
(``make test`` and ``make e2e`` build it).
"""
import json
import re
import shutil
import time
from pathlib import Path

import pytest
import requests

from e2e_platform import Portal

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"
DIST = PORTAL / "dist"
SHOTS = ROOT / "e2e-screenshots"
TIMEOUT_MS = 10_000            # any wait in a page: a test takes seconds, not minutes
DESKTOP = {"width": 1280, "height": 800}
BROWSER_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

_figures = []


# --- hooks ------------------------------------------------------------------------------

def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report kept on the test, for the screenshots on failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter):
    if not _figures:
        return
    terminalreporter.write_sep("-", "portal figures")
    for line in _figures:
        terminalreporter.write_line(line)


# --- the built portal, the browser, the platform ----------------------------------------

def _newest_source():
    sources = [PORTAL / name for name in ("index.html", "vite.config.js", "package.json", "package-lock.json")]
    for folder in (PORTAL / "src", PORTAL / "public"):
        sources += [path for path in folder.rglob("*") if path.is_file()]
    return max((path for path in sources if path.exists()), key=lambda path: path.stat().st_mtime)


@pytest.fixture(scope="session")
def portal_build():
    """portal/dist, built after the last change to portal/src (else the test would try
    yesterday's pages)."""
    index = DIST / "index.html"
    if not index.exists():
        pytest.fail("the portal is not built (no portal/dist/index.html): run `make portal` first "
                    "(`make test` and `make e2e` do)", pytrace=False)
    newest = _newest_source()
    if newest.stat().st_mtime > index.stat().st_mtime:
        pytest.fail(f"the portal's build is older than {newest.relative_to(ROOT)}: run `make portal` again",
                    pytrace=False)
    return DIST


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (the one .ci/run installs), headless; never a downloaded browser."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("no chromium on PATH: the browser tests drive Debian's (`apt-get install chromium`; "
                    ".ci/run installs it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    manager = sync_playwright()
    playwright = manager.start()
    try:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS, headless=True)
        yield launched
        launched.close()
    finally:
        # Not playwright.stop(): it waits for the driver to exit through asyncio's child
        # watcher, a thread, which under eventlet's monkey-patching (tests/conftest.py)
        # never runs, and it would hang. Closing the driver's pipe ends it all the same.
        transport = getattr(getattr(manager, "_client", None), "_transport", None)
        if transport is not None:
            transport.request_stop()


@pytest.fixture(scope="session")
def portal(stack, portal_build):
    found = Portal(stack)
    answer = requests.get(found.url, timeout=10)
    if answer.status_code != 200 or "text/html" not in answer.headers.get("Content-Type", ""):
        pytest.fail(f"the gateway does not serve the portal at {found.url}: {answer.status_code} "
                    f"{answer.text[:200]!r}", pytrace=False)
    return found


# --- screenshots, pages, figures ----------------------------------------------------------

def _test_folder(node):
    return SHOTS / re.sub(r"[^\w.-]+", "_", node.name).strip("_")


@pytest.fixture
def shot(request):
    """``shot(page, "map-ready")``: e2e-screenshots/<test>/<NN>-map-ready.png (NN counts
    this test's shots, so the files sort in the order they were taken)."""
    folder = _test_folder(request.node)
    shutil.rmtree(folder, ignore_errors=True)
    taken = []

    def take(page, step, full_page=False):
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "-", step)
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=path, full_page=full_page)
        taken.append(path)
        return path

    return take


@pytest.fixture
def new_context(browser, request, shot):
    """``new_context(viewport=PHONE, geolocation=..., permissions=[...])``: a browser context
    of this test's own (closed after it), Chinese and in Shanghai's time by default. On a
    failure every page it opened is shot, and its console errors are printed."""
    contexts, errors = [], []

    def make(viewport=None, **options):
        options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": viewport or DESKTOP, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        # context-wide events: a listener that calls Playwright (page.on in a "page"
        # listener) hangs under eventlet
        context.on("console", lambda message: message.type == "error" and errors.append(f"console: {message.text}"))
        context.on("weberror", lambda error: errors.append(f"page error: {error.error}"))
        contexts.append(context)
        return context

    yield make
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed:
        folder = _test_folder(request.node)
        folder.mkdir(parents=True, exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, 1):
            try:
                page.screenshot(path=folder / f"failed-{number}.png", full_page=True)
            except Exception as err:  # a crashed page: say so, keep the rest
                print(f"no screenshot of page {number}: {err}")
        if errors:
            print("browser console errors:\n  " + "\n  ".join(errors[-30:]))
    for context in contexts:
        context.close()


def sign_in(page, portal, account, hash_path=None):
    """Sign in through the form (portal/src/pages/signin.js); returns once the shell
    (header and page) is drawn. ``hash_path``: the route to open."""
    page.goto(portal.route(hash_path) if hash_path else portal.url)
    form = page.locator("form.signin")
    form.locator("input[name=username]").fill(account.username)
    form.locator("input[name=password]").fill(account.password)
    form.locator("button[type=submit]").click()
    page.locator("header.top, form.signin .error").first.wait_for()
    refused = page.locator("form.signin .error")
    if refused.count():
        raise AssertionError(f"signing in as {account.username} at {portal.url} was refused: {refused.inner_text()}")
    page.locator("#main:not(.signin-page)").wait_for(state="attached")
    return page


@pytest.fixture
def signed_in_page(request, new_context):
    """``signed_in_page(account, viewport=PHONE, hash_path="/map", **context_options)``:
    a page of a fresh context, signed in as ``account`` through the form; ``on``: the
    Portal of another platform than the shared one."""

    def open_page(account, viewport=None, hash_path=None, on=None, **options):
        page = new_context(viewport=viewport, **options).new_page()
        return sign_in(page, on or request.getfixturevalue("portal"), account, hash_path)

    return open_page


def record_figure(label, seconds, reference, api_seconds=None, **extra):
    """``portal figure: map drawn 1.23 s (API 0.31 s) — reference < 2 s``: printed now,
    again in the session's summary, and one JSON line in e2e-screenshots/figures.txt."""
    api = f" (API {api_seconds:.2f} s)" if api_seconds is not None else ""
    more = "".join(f", {key} {value}" for key, value in extra.items())
    line = f"portal figure: {label} {seconds:.2f} s{api}{more} — reference {reference}"
    _figures.append(line)
    print(line)
    SHOTS.mkdir(exist_ok=True)
    with open(SHOTS / "figures.txt", "a", encoding="utf-8") as out:
        out.write(json.dumps({"figure": label, "seconds": round(seconds, 3), "api_seconds": api_seconds and
                              round(api_seconds, 3), "reference": reference, "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                              **extra}, ensure_ascii=False) + "\n")
    return line


@pytest.fixture
def figure():
    return record_figure
