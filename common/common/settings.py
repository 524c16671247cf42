"""Every setting the platform reads, declared once.

Each setting is an environment variable: its name, default, meaning, the components
that read it, whether it is a secret, and its rule when one can be checked before
anything starts. From this declaration come ``.env.example`` and README.md's
"Configuration" table, and the preflight check the compose stack runs first:

    python -m common.settings --write                  # rewrite .env.example and the README table
    python -m common.settings --check                  # exit 1 when either is stale (a test runs it)
    python -m common.settings check [--env-file .env]  # missing or weak secrets, unknown names

tests/unit/test_settings.py holds the declaration to the code: every name the code
reads (``common.config.env`` and friends, ``${NAME`` in deploy/config/*.yaml) is
declared, and every declared one is read somewhere.
"""
import argparse
import difflib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from common.generated import Block, sync

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ENV_EXAMPLE = ROOT / ".env.example"
BLOCK = Block("settings", "python -m common.settings")

COMPONENTS = ("gateway", "grid", "people", "tickets", "scoring")
SERVICES = ("grid", "people", "tickets", "scoring")  # the components that own a database
ALL = COMPONENTS
# Readers besides the components: docker compose itself (interpolating the file),
# the image's health check, and command-line tools (demo data).
COMPOSE, IMAGE, TOOLS = "compose", "image", "tools"

# How a setting reaches the compose stack.
PASSED = "passed"  # from .env to every component (env_file)
SET_BY_COMPOSE = "set by compose"  # docker-compose.yml or the image sets it; a .env value is overridden
READ_BY_COMPOSE = "read by compose"  # compose reads it itself (to build URLs, to publish a port)

URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")  # RFC 3986 unreserved: nothing to escape in a URL


# ----------------------------------------------------------------------- rules

@dataclass(frozen=True)
class Rule:
    """A check of one value: ``text`` says it in English, ``problem(value)`` is None
    when the value passes, else what is wrong with it."""
    text: str
    test: object

    def problem(self, value):
        return self.test(value)


def integer(low=None, high=None):
    def test(value):
        try:
            number = int(value)
        except ValueError:
            return f"must be a whole number, got {value!r}"
        if (low is not None and number < low) or (high is not None and number > high):
            return f"must be {_range(low, high)}, got {number}"
        return None
    return Rule(f"a whole number {_range(low, high)}".rstrip(), test)


def number(low=None):
    def test(value):
        try:
            parsed = float(value)
        except ValueError:
            return f"must be a number, got {value!r}"
        if low is not None and parsed < low:
            return f"must be {_range(low, None)}, got {parsed:g}"
        return None
    return Rule(f"a number {_range(low, None)}".rstrip(), test)


def _range(low, high):
    if low is not None and high is not None:
        return f"from {low} to {high}"
    if low is not None:
        return f"of at least {low}"
    if high is not None:
        return f"of at most {high}"
    return ""


def one_of(*choices):
    def test(value):
        return None if value in choices else f"must be one of {', '.join(choices)}, got {value!r}"
    return Rule("one of " + ", ".join(f"`{choice}`" for choice in choices), test)


def boolean():
    words = ("1", "true", "yes", "on", "0", "false", "no", "off")
    def test(value):
        return None if value.strip().lower() in words else f"must be true or false, got {value!r}"
    return Rule("`true` or `false`", test)


def at_least(length):
    def test(value):
        return None if len(value) >= length else f"is {len(value)} characters; at least {length} are needed"
    return Rule(f"at least {length} characters", test)


def strong_password(length):
    def test(value):
        problems = []
        if len(value) < length:
            problems.append(f"at least {length} characters (it has {len(value)})")
        if not any(c.isalpha() for c in value) or not any(c.isdigit() for c in value):
            problems.append("both letters and digits")
        return "needs " + " and ".join(problems) if problems else None
    return Rule(f"at least {length} characters, letters and digits", test)


def hex_key(length):
    def test(value):
        if len(value) == length and all(c in "0123456789abcdefABCDEF" for c in value):
            return None
        return f"must be exactly {length} hexadecimal characters (it has {len(value)} characters)"
    return Rule(f"exactly {length} hexadecimal characters", test)


def url_password(length):
    def test(value):
        problems = []
        if len(value) < length:
            problems.append(f"at least {length} characters (it has {len(value)})")
        if not URL_SAFE.fullmatch(value):
            bad = sorted({c for c in value if not URL_SAFE.fullmatch(c)})
            problems.append("only letters, digits and . _ ~ - (it goes into URLs; "
                            f"{' '.join(repr(c) for c in bad)} would break them)")
        return "needs " + " and ".join(problems) if problems else None
    return Rule(f"at least {length} characters, only letters, digits and `._~-`: it goes into URLs", test)


def url(*schemes):
    def test(value):
        scheme = value.split("://", 1)[0] if "://" in value else ""
        return None if scheme in schemes else f"must be a {' or '.join(schemes)} URL, got one starting {value[:12]!r}"
    return Rule(" or ".join(f"`{scheme}://`" for scheme in schemes) + " URL", test)


def tile_url_template():
    def test(value):
        scheme, _, rest = value.partition("://")
        host = rest.split("/", 1)[0]
        if scheme not in ("http", "https") or not host or "{" in host:
            return f"must be an http or https URL with a host, got one starting {value[:12]!r}"
        missing = [part for part in ("{z}", "{x}", "{y}") if part not in value]
        if missing:
            return f"must hold {', '.join(missing)} (a tile URL template: .../{{z}}/{{x}}/{{y}}.png)"
        if re.search(r"\{(?![zxy]\})", value) or re.search(r"(?<!\{[zxy])\}", value):
            return "may hold no placeholder but {z}, {x} and {y}"
        if any(c.isspace() or c in "'\";" for c in value):
            return "may hold no spaces, quotes or ';'"
        return None
    return Rule("an `http://` or `https://` tile URL template with `{z}`, `{x}` and `{y}`", test)


# ------------------------------------------------------------------- settings

@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # as written in .env.example; "" when there is none
    meaning: str  # English, Markdown
    read_by: tuple
    group: str
    secret: bool = False
    rule: Rule = None
    shown_default: str = None  # the README's default column, when it says more than ``default``
    make: str = None  # for a secret: a command that makes one
    compose: str = PASSED
    required: bool = False  # the compose stack (APP_ENV=production) cannot start without it
    active: bool = False  # written uncommented in .env.example (compose should see its value)

    @property
    def default_text(self):
        if self.shown_default is not None:
            return self.shown_default
        return f"`{self.default}`" if self.default else "none"


TOKEN = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
HEX32 = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
HEX16 = "python3 -c 'import secrets; print(secrets.token_hex(16))'"

SECRETS = "Secrets (required by the compose stack)"
RUNTIME = "Runtime, broker and databases"
DOOR = "Gateway: the door"
SIGN_IN = "Sign-in and accounts"
EVENTS = "Outbox, events and jobs"
TICKETS = "Tickets and the SLA calendar"
GRID = "Grid registry"
PEOPLE = "People, staffing and residents"
SCORING = "Scoring"
MONITORING = "Monitoring, alerts and backups"

SETTINGS = (
    # --- secrets
    Setting("JWT_SECRET", "", "token signing key; all gateway replicas share it", ("gateway",), SECRETS,
            secret=True, rule=at_least(32), make=TOKEN, required=True,
            shown_default="random per gateway process in development"),
    Setting("ADMIN_PASSWORD", "", "the first administrator's password, used only when that account does not "
            "exist yet; in production required then. A generated one never reaches a log line: read the file, "
            "then delete it", ("people", TOOLS), SECRETS, secret=True, rule=strong_password(12), required=True,
            make="a passphrase of your own (12+ characters, letters and digits)",
            shown_default="none (development: random, written to `DATA_DIR/initial-admin-password`, owner-only, "
                          "whose path is logged; `make run`: `GridDemo2026`)"),
    Setting("PII_KEY", "", "the key for ID and phone numbers (required in production; losing it loses them: keep "
            "a copy apart from the backups)", ("people", "tickets", TOOLS), SECRETS, secret=True, rule=hex_key(64),
            make=HEX32, required=True, shown_default="development: generated once into `DATA_DIR/pii.key`"),
    Setting("POSTGRES_PASSWORD", "", "the compose stack's PostgreSQL password (user `gridgov`); compose builds "
            "each service's database URL from it", (COMPOSE,), SECRETS, secret=True, rule=url_password(16),
            make=HEX16, compose=READ_BY_COMPOSE, required=True),
    Setting("RABBITMQ_PASSWORD", "", "the compose stack's RabbitMQ password (user `gridgov`); compose builds "
            "`AMQP_URI` from it", (COMPOSE,), SECRETS, secret=True, rule=url_password(16), make=HEX16,
            compose=READ_BY_COMPOSE, required=True),
    Setting("DEMO_PASSWORD", "", "the demo accounts' password for the demo data (`make run`); falls back to "
            "`ADMIN_PASSWORD`", ("people", TOOLS), SECRETS, secret=True, rule=strong_password(8)),

    # --- runtime
    Setting("APP_ENV", "development", "`production` requires `JWT_SECRET`, `PII_KEY` and a strong "
            "`ADMIN_PASSWORD`", ALL, RUNTIME, rule=one_of("development", "production"), compose=SET_BY_COMPOSE),
    Setting("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ; a cluster's nodes separated by `;` "
            "(`amqp://a:5672/;amqp://b:5672/`, kombu's failover: see Operations)", ALL + (TOOLS,), RUNTIME,
            rule=url("amqp", "amqps"), compose=SET_BY_COMPOSE),
    Setting("AMQP_QUEUE_TYPE", "classic", "`quorum` declares every RPC and event queue as a quorum queue (for a "
            "RabbitMQ cluster; reply queues stay classic); a component whose setting differs from the broker's "
            "existing queues stops at start naming the queue and how to migrate", ALL + (TOOLS,), RUNTIME,
            rule=one_of("classic", "quorum")),
    *(Setting(f"{service.upper()}_DB_URL", "", f"the {service} service's own database, e.g. "
              f"`postgresql://user:pw@host:5432/gridgov_{service}`", (service,), RUNTIME,
              rule=url("postgresql", "postgresql+psycopg2", "sqlite"), compose=SET_BY_COMPOSE,
              shown_default=f"SQLite `DATA_DIR/{service}.db`")
      for service in SERVICES),
    Setting("DATA_DIR", "data", "folder of the SQLite files (and, in development, the generated PII key and "
            "first admin password); the image sets `/var/lib/gridgov`", SERVICES, RUNTIME, shown_default="`./data`"),
    Setting("BIND_HOST", "127.0.0.1", "HTTP bind address (`0.0.0.0` in containers)", ALL, RUNTIME,
            compose=SET_BY_COMPOSE),
    *(Setting(f"{name.upper()}_PORT", str(port), f"the {name} component's HTTP port (see Ports)", (name,), RUNTIME,
              rule=integer(1, 65535), compose=SET_BY_COMPOSE)
      for name, port in (("gateway", 8000), ("grid", 8001), ("people", 8002), ("tickets", 8003),
                         ("scoring", 8004))),
    Setting("COMPOSE_PROJECT_NAME", "gridgov", "docker compose's project name, which prefixes its volumes "
            "(`gridgov_postgres-data`) and network; without it compose takes the folder's name. It replaces the "
            "top-level `name:` that Debian's docker-compose 1.29 rejects", (COMPOSE,), RUNTIME,
            compose=READ_BY_COMPOSE, active=True),
    Setting("GATEWAY_PUBLISH_ADDRESS", "0.0.0.0", "the host address the compose stack publishes the "
            "gateway's port 8000 on: `127.0.0.1` when a reverse proxy on the same host is the only way in "
            "(docs/operations/tls.md)", (COMPOSE,), RUNTIME, compose=READ_BY_COMPOSE),
    Setting("METRICS_PORT", "", "when set, `GET /metrics` is served on this port only (an internal one: publish "
            "it to nobody but Prometheus) and the public port answers 404 for it; unset, `/metrics` is on the "
            "component's HTTP port. The compose stack sets it for the gateway (8100)", ALL, RUNTIME,
            rule=integer(1, 65535), compose=SET_BY_COMPOSE),
    Setting("HEALTH_PORT", "", "the port the image's own `HEALTHCHECK` asks for `/healthz`, when neither "
            "`<NAME>_PORT` nor the component's default is right", (IMAGE,), RUNTIME, rule=integer(1, 65535),
            shown_default="the component's port"),
    Setting("MAX_WORKERS", "10", "concurrent workers per process (nameko)", ALL, RUNTIME, rule=integer(1)),
    Setting("HTTP_QUEUE_LIMIT", "", "HTTP requests that may wait for a free worker; past it a component "
            "answers 503 `OVERLOADED` with `Retry-After` at once (`/healthz` and `/metrics` never wait: the web "
            "server answers them itself)", ALL, RUNTIME, rule=integer(0), shown_default="`MAX_WORKERS`"),
    Setting("LOG_LEVEL", "INFO", "logging level of every component", ALL, RUNTIME,
            rule=one_of("DEBUG", "INFO", "WARNING", "ERROR")),
    Setting("LOG_FORMAT", "plain", "`plain`: text lines with the request id in brackets; `json`: one JSON object "
            "per line (`time`, `level`, `component`, `logger`, `message`, `request_id`, `exception`; access "
            "lines add `method`, `path`, `query`, `status`, `duration_ms`)", ALL, RUNTIME,
            rule=one_of("plain", "json")),
    Setting("RPC_TIMEOUT_SECONDS", "3", "how long a caller waits for another service before answering 503 (a "
            "service calling on behalf of a caller waits at most until 0.5 s before that caller stops waiting)",
            ALL + (TOOLS,), RUNTIME, rule=number(0.1)),
    Setting("MAX_REQUEST_BYTES", "33554432", "largest request body; larger ones get 413 `PAYLOAD_TOO_LARGE` "
            "before being read (chunked bodies when they pass it)", ALL, RUNTIME, rule=integer(1),
            shown_default="`33554432` (32 MiB)"),

    # --- the door
    Setting("TOKEN_TTL_SECONDS", "3600", "lifetime of an access token", ("gateway",), DOOR, rule=integer(60)),
    Setting("TOKEN_REVOCATION_POLL_SECONDS", "5", "how often each gateway asks people which accounts' tokens "
            "ended (disabled, password changed or reset, signed out): another replica refuses them within this",
            ("gateway",), DOOR, rule=number(0.1)),
    Setting("TRUSTED_PROXIES", "", "addresses or networks (`10.0.0.0/8,127.0.0.1`) of the reverse proxies in "
            "front of the gateway: from them, the client's address is the nearest untrusted one in "
            "`X-Forwarded-For` (read from the right: a client can prepend anything); from anyone else the "
            "peer's own. Sign-in failures count per client address, so behind a proxy set this, or every "
            "client shares the proxy's count (docs/operations/tls.md)", ("gateway",), DOOR),
    Setting("RATE_LIMIT_PER_MINUTE", "600", "requests a minute one caller (an account, or an API key: each its "
            "own) may send, a burst that large at once; past it 429 `RATE_LIMITED` with `Retry-After` (see "
            "Limits, browsers and pages). `0`: off", ("gateway",), DOOR, rule=integer(0)),
    Setting("RATE_LIMIT_ADDRESS_PER_MINUTE", "300", "the same per client address, for what comes without a "
            "valid token: public routes and requests whose token fails. `/healthz` and `/metrics` are never "
            "limited. `0`: off", ("gateway",), DOOR, rule=integer(0)),
    Setting("REDIS_URL", "", "`redis://host:6379/0`: the rate limits' buckets in Redis, shared by every gateway "
            "replica; without it each gateway process counts alone (N replicas: up to N times the limit)",
            ("gateway",), DOOR, rule=url("redis", "rediss")),
    Setting("CORS_ORIGINS", "", "browser origins whose pages may call the API, each exactly, comma-separated "
            "(`https://oa.example.gov.cn,http://localhost:5173`); a wildcard or a path stops the component at "
            "start", ALL, DOOR),
    Setting("PUBLIC_BASE_URL", "", "the address residents reach the gateway at, behind the district's reverse "
            "proxy (`https://wangge.example.gov.cn`): the public cards' QR codes hold the report form's address "
            "under it", ("gateway", "people"), DOOR, rule=url("https", "http"),
            shown_default="none (the address a request came in on)"),
    Setting("PORTAL_DIR", "", "the built portal (`make portal` builds `portal/dist`) the gateway serves at "
            "`/portal/`; when the folder has no `index.html`, `/portal/` answers 503 saying to build it",
            ("gateway",), DOOR, shown_default="`portal/dist` beside the code"),
    Setting("PORTAL_TILE_URL", "", "a base map for the portal's map: a raster tile URL template of the district's "
            "own tile server (`https://tiles.example.gov.cn/{z}/{x}/{y}.png`); the portal's content security "
            "policy lets browsers load images and data from its host and no other. Empty: no base map, the grids "
            "on a plain background (a government network often reaches no public tiles)", ("gateway",), DOOR,
            rule=tile_url_template()),
    Setting("PORTAL_TILE_ATTRIBUTION", "", "the base map's attribution, shown on the portal's map (plain text)",
            ("gateway",), DOOR),
    Setting("GRID_IMPORT_JOB_FEATURES", "200", "a grid import of more features than this answers 202 with a job "
            "(`GET /api/v1/jobs/{id}`: progress, then the import's answer) instead of holding the request "
            "(proxies cut at 60 s)", ("gateway",), DOOR, rule=integer(1)),
    Setting("ROSTER_IMPORT_JOB_BYTES", "262144", "a roster file larger than this is imported as a job (202)",
            ("gateway",), DOOR, rule=integer(1)),

    # --- sign-in
    Setting("ADMIN_USERNAME", "admin", "first administrator, created on start when missing",
            ("people", TOOLS), SIGN_IN),
    Setting("LOGIN_MAX_FAILURES", "5", "wrong passwords are counted per sign-in name **and client address**: "
            "that many in a row from one address (each within `LOGIN_LOCK_MINUTES` of the one before) lock the "
            "name for that address only, for that long (401 `INVALID_CREDENTIALS` with `attempts_left`, then 423 "
            "`ACCOUNT_LOCKED` with `locked_until` and `\"from\": \"this_address\"`), so a stranger cannot lock a "
            "user, admin included, out at the user's own address; a right password from an address clears that "
            "address's count only. A username without an account is counted, locked and answered the same, with "
            "the same hashing work, so sign-in tells no one which usernames exist; counts are kept under keyed "
            "hashes of the name (and of the name with the address): what was typed is not stored, and a lapsed "
            "count is forgotten every 5 minutes. The address is the one the gateway sees "
            "(`request.remote_addr`; behind a proxy, the proxy's)", ("people",), SIGN_IN, rule=integer(1)),
    Setting("LOGIN_LOCK_MINUTES", "15", "how long such a lock lasts, and the window in which failures count as "
            "in a row", ("people",), SIGN_IN, rule=integer(1)),
    Setting("LOGIN_ACCOUNT_MAX_FAILURES", "100", "the bound on guessing from many addresses: that many wrong "
            "passwords in a row for one name from all addresses together (each within `LOGIN_LOCK_MINUTES` of "
            "the one before) lock it from every address for `LOGIN_LOCK_MINUTES` (`\"from\": \"every_address\"`). "
            "The choice: one address can no longer lock anyone out, and a guesser needs "
            "`LOGIN_ACCOUNT_MAX_FAILURES / LOGIN_MAX_FAILURES` addresses (20) to lock an account everywhere, "
            "which they can, for a while; that is the price of bounding distributed guessing at about 100 tries "
            "per lock time. Successes do not reset this count (a user signing in would otherwise reset a "
            "guesser's)", ("people",), SIGN_IN, rule=integer(1)),
    Setting("PII_CLEAR_ROLES", "admin,community_officer", "roles that may see ID and phone numbers in clear "
            "(`reveal=true`), residents' and ticket reporters'", ("people", "tickets"), SIGN_IN),
    Setting("SIGNUP_VERIFICATION", "approval", "how residents' sign-ups are checked (a community officer "
            "approves; an SMS check would plug in here)", ("people",), SIGN_IN),
    Setting("SIGNUP_LIMIT_PER_HOUR", "5", "sign-ups one client address may make an hour", ("people",), SIGN_IN,
            rule=integer(0)),

    # --- outbox, events, jobs
    Setting("OUTBOX_POLL_SECONDS", "1.0", "how often the outbox relay reads its table for events left behind "
            "(events a process commits it publishes at once, from memory)", SERVICES, EVENTS, rule=number(0.05)),
    Setting("OUTBOX_GRACE_SECONDS", "5", "the poll leaves events younger than this to the process that "
            "committed them", SERVICES, EVENTS, rule=number(0)),
    Setting("OUTBOX_RELAY_ENABLED", "true", "`false` runs a replica without a relay", SERVICES, EVENTS,
            rule=boolean()),
    Setting("BATCH_LINGER_SECONDS", "", "how long a batched event consumer (`common.batching`) lets a batch that "
            "is not full wait for more deliveries before taking it; for every consumer of the process it is set "
            "in. Longer: fewer transactions and less CPU per event when the consumer keeps up, for that much "
            "more delay; `0`: a lone event is applied at once", SERVICES, EVENTS, rule=number(0),
            shown_default="scoring's facts feed `0.25`, every other consumer `0`"),
    Setting("WEBHOOK_MAX_ATTEMPTS", "8", "a webhook delivery's attempts before it is dead-lettered",
            ("people",), EVENTS, rule=integer(1)),
    Setting("WEBHOOK_RETRY_SECONDS", "30", "the wait before a webhook's first retry (doubling, at most an hour)",
            ("people",), EVENTS, rule=number(0)),
    Setting("WEBHOOK_TIMEOUT_SECONDS", "5", "each webhook attempt's timeout", ("people",), EVENTS,
            rule=number(0.1)),
    Setting("WEBHOOK_POLL_SECONDS", "1", "how often people sends the webhook deliveries that are due",
            ("people",), EVENTS, rule=number(0.05)),

    # --- tickets
    Setting("TICKET_HOLIDAY_FILE", "", "a holiday file in the same format that replaces the shipped one: SLA "
            "working days count its holidays off and its make-up days (调休上班) worked; a file that contradicts "
            "itself stops tickets at start (see The working-day calendar)", ("tickets",), TICKETS,
            shown_default="the shipped State Council schedule "
                          "(`services/tickets/tickets/holidays/cn-state-council.txt`, 2024–2026)"),
    Setting("TICKET_HOLIDAYS", "", "days off added over the holiday file, and winning over it "
            "(`2026-11-12,2026-10-01..2026-10-03`); a day in both lists, or listed twice, stops tickets at start",
            ("tickets",), TICKETS),
    Setting("TICKET_MAKEUP_DAYS", "", "days worked (调休上班) added over the holiday file, in the same form",
            ("tickets",), TICKETS),
    Setting("TICKET_REOPEN_DAYS", "7", "reopen window", ("tickets",), TICKETS, rule=number(0)),
    Setting("TICKET_DUPLICATE_HOURS", "72", "how long an open report attracts duplicates", ("tickets",),
            TICKETS, rule=number(0)),
    Setting("TICKET_CATALOGUE", "", "a JSON file replacing the responsibility catalogue; an item is an Open311 "
            "service only with `\"published\": true`", ("tickets",), TICKETS, shown_default="built in (65 items)"),
    Setting("TICKET_WHISTLE_LEVELS", "community,town", "where the whistle (吹哨) may be blown: `community`, "
            "`town` or both, comma-separated (seeds 001 and 002: see Who whistles); any other level stops "
            "tickets at start, naming the variable", ("tickets",), TICKETS),
    Setting("STAFF_SYNC_SECONDS", "3600", "how often tickets takes people's snapshot of grid assignments "
            "(besides their events)", ("tickets",), TICKETS, rule=number(1)),
    Setting("CARD_REPORTS_PER_HOUR", "3", "reports through a grid's public card one client address may send an "
            "hour to one grid (429 past it)", ("tickets",), TICKETS, rule=integer(0)),
    Setting("CARD_REPORTS_PER_ADDRESS_PER_HOUR", "10", "the same to all grids together", ("tickets",), TICKETS,
            rule=integer(0)),
    Setting("CARD_BURST_REPORTS", "5", "when a card brought this many reports within `CARD_BURST_MINUTES`, "
            "further ones are flagged `burst` for review", ("tickets",), TICKETS, rule=integer(1)),
    Setting("CARD_BURST_MINUTES", "10", "the window of `CARD_BURST_REPORTS`", ("tickets",), TICKETS,
            rule=number(0)),

    # --- grid
    Setting("GRID_LEVEL_SCHEME", "five", "grid level scheme (see The grid registry)", ("grid",), GRID,
            rule=one_of("five", "dianbai", "four", "three")),
    Setting("GRID_TOLERANCE_M2", "1.0", "gaps and overlaps up to this area are digitising noise", ("grid",), GRID,
            rule=number(0)),
    Setting("GRID_STAFFED_LEVEL", "", "the level grid workers are posted to and staffing gaps are checked at (a "
            "level key of the scheme)", ("grid",), GRID, shown_default="the scheme's"),
    Setting("GRID_SIZING", "", "sizing ranges per level and class (kind or zone type), "
            "`level:class[:measure]=low-high` or `=none` (measure `households`, the default, or `population`), "
            "comma-separated (see The grid registry)", ("grid",), GRID, shown_default="the scheme's rules"),

    # --- people
    Setting("RECRUIT_MAX_AGE", "55", "recruitment eligibility age limit (seed 003: \"generally 55 or under\")",
            ("people",), PEOPLE, rule=integer(16, 99)),
    Setting("RECRUIT_ROLES", "full_time_worker", "the post roles the recruitment rules are enforced on when "
            "posting and importing a roster (comma list; an unknown role stops people at start)", ("people",),
            PEOPLE),
    Setting("WISH_POINTS", "10", "volunteer points a confirmed small wish (点亮微心愿) credits its claimant, "
            "through the points ledger; else people stops at start naming it", ("people",), PEOPLE,
            rule=integer(1, 1000)),
    Setting("STAFFING_RULE_BASIC", "grid_chief=1,grid_police=1,full_time_worker=1,part_time_worker=2",
            "the staffing standard of a basic grid (一格一长一警一专多兼)", ("people",), PEOPLE),
    Setting("STAFFING_RULE_EXCLUSIVE", "grid_chief=1,part_time_worker=1", "the staffing standard of an "
            "exclusive grid", ("people",), PEOPLE),

    # --- monitoring and backups
    Setting("GRAFANA_ADMIN_USER", "admin", "Grafana's administrator", (COMPOSE,), MONITORING,
            compose=READ_BY_COMPOSE),
    Setting("GRAFANA_ADMIN_PASSWORD", "", "Grafana's administrator's password (the compose stack will not start "
            "without it)", (COMPOSE,), SECRETS, secret=True, rule=strong_password(12), required=True,
            make="a passphrase of your own (12+ characters, letters and digits)", compose=READ_BY_COMPOSE),
    Setting("ALERT_WEBHOOK_URL", "", "where Alertmanager posts alerts; without it and without `ALERT_EMAIL_TO` "
            "Alertmanager does not start (docs/operations/monitoring.md)", (TOOLS,), MONITORING,
            rule=url("http", "https"), compose=READ_BY_COMPOSE),
    Setting("ALERT_EMAIL_TO", "", "comma-separated addresses that also get alerts by email; needs "
            "`SMTP_SMARTHOST` and `SMTP_FROM`", (TOOLS,), MONITORING, compose=READ_BY_COMPOSE),
    Setting("SMTP_SMARTHOST", "", "the mail server for alert email (`host:port`)", (TOOLS,), MONITORING,
            compose=READ_BY_COMPOSE),
    Setting("SMTP_FROM", "", "the sender of alert email", (TOOLS,), MONITORING, compose=READ_BY_COMPOSE),
    Setting("SMTP_USERNAME", "", "the login at the mail server, when it wants one", (TOOLS,), MONITORING,
            compose=READ_BY_COMPOSE),
    Setting("SMTP_PASSWORD", "", "its password", (TOOLS,), MONITORING, secret=True, compose=READ_BY_COMPOSE),
    Setting("SMTP_REQUIRE_TLS", "true", "STARTTLS to the mail server", (TOOLS,), MONITORING, rule=boolean(),
            compose=READ_BY_COMPOSE),
    Setting("RABBITMQ_MANAGEMENT_URL", "", "the management API that `make run` and `python -m "
            "common.queue_policy` set the event queues' policy through (credentials from `AMQP_URI`)",
            (TOOLS,), MONITORING, compose=SET_BY_COMPOSE, shown_default="`http://<AMQP host>:15672`"),
    Setting("BACKUP_DIR", "backups", "folder `make backup` (`python -m common.backup backup`) writes its archives "
            "under (see Operations)", (TOOLS,), MONITORING),

    # --- scoring
    Setting("INTEGRITY_SCAN_SECONDS", "20", "how often scoring scans the communities of the people whose facts "
            "arrived since (the incremental integrity scan)", ("scoring",), SCORING, rule=number(1)),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}
# Settings of which the compose stack wants at least one, and what happens without.
AT_LEAST_ONE = (
    (("ALERT_WEBHOOK_URL", "ALERT_EMAIL_TO"), "Alertmanager will not start and alerts reach nobody"),
)
GROUPS = tuple(dict.fromkeys(setting.group for setting in SETTINGS))


# ------------------------------------------------------------------ generated

def readme_table():
    rows = ["| variable | default | meaning | read by |", "|---|---|---|---|"]
    for setting in SETTINGS:
        meaning = setting.meaning[0].upper() + setting.meaning[1:] if setting.meaning[0] != "`" else setting.meaning
        if setting.rule is not None:
            meaning += f" ({setting.rule.text})" if not meaning.endswith(")") else f"; {setting.rule.text}"
        if setting.compose == SET_BY_COMPOSE:
            meaning += " (set by docker-compose.yml)"
        secret = " (secret)" if setting.secret else ""
        rows.append(f"| `{setting.name}`{secret} | {setting.default_text} | {meaning} | "
                    f"{', '.join(setting.read_by)} |")
    return "\n".join(rows)


def _wrap(text, width=88, prefix="# "):
    words, lines, line = _plain(text).split(), [], ""
    for word in words:
        if line and len(prefix) + len(line) + 1 + len(word) > width:
            lines.append(prefix + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(prefix + line)
    return lines


def _plain(markdown):
    return markdown.replace("`", "").replace("**", "")


def env_example():
    lines = [
        "# The compose stack's settings: copy to .env (next to docker-compose.yml), fill in",
        "# the secrets (the empty lines), and keep the file to yourself (chmod 600; .env is git- and",
        "# docker-ignored). `make check-env` checks it; the stack's preflight service does",
        "# the same before anything else starts.",
        "#",
        "# Every setting the platform reads is here, with its default. A line left commented",
        "# keeps the default. Those marked 'set by docker-compose.yml' are set by the compose",
        "# file for its containers (a value here is overridden); they matter to `make run`.",
        "#",
        "# Generated by `python -m common.settings --write` from common/common/settings.py.",
    ]
    for group in GROUPS:
        lines += ["", "", f"# ===== {group} " + "=" * max(3, 80 - len(group)), ""]
        for setting in (s for s in SETTINGS if s.group == group):
            lines += _wrap(setting.meaning)
            notes = []
            if setting.rule is not None:
                notes.append(_plain(setting.rule.text))
            if setting.compose == SET_BY_COMPOSE:
                notes.append("set by docker-compose.yml")
            notes.append("read by " + ", ".join(setting.read_by))
            lines += _wrap("; ".join(notes), prefix="#   ")
            if setting.make:  # one line, to copy and paste
                lines.append(f"#   make one: {setting.make}")
            if setting.required:
                lines.append(f"{setting.name}=")
            elif setting.active:
                lines.append(f"{setting.name}={setting.default}")
            else:
                lines.append(f"#{setting.name}={setting.default}")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# ------------------------------------------------------------------ preflight

def read_env_file(path):
    """{name: value} of a .env file as docker compose reads one: ``NAME=VALUE`` lines,
    ``#`` comments and blank lines skipped, a value in matching quotes unquoted."""
    values = {}
    for line_number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, equals, value = line.partition("=")
        name = name.strip()
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"{path}, line {line_number}: not NAME=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def check(values, known=BY_NAME):
    """(errors, warnings) of a stack's settings: each missing or weak secret and each
    value breaking its rule is an error naming it; each unknown name a warning, with
    the closest known name."""
    errors, warnings = [], []
    for name in values:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(f"{name} is not a setting of the platform and is ignored{hint}")
    for setting in known.values():
        value = values.get(setting.name, "")
        if not value:
            if setting.required:
                how = f"; make one: {setting.make}" if setting.make else ""
                errors.append(f"{setting.name} is missing: set it in .env ({setting.meaning.split(';')[0]}){how}")
            continue
        if "$" in value:  # compose may expand it as a variable (v1.29 and v2 each in their own way)
            (errors if setting.secret else warnings).append(
                f"{setting.name} holds a '$', which docker compose may expand as a variable: choose another "
                "character")
            continue
        if setting.rule is not None:
            problem = setting.rule.problem(value)
            if problem:
                errors.append(f"{setting.name} {problem}")
    for names, consequence in AT_LEAST_ONE:
        if not any(values.get(name) for name in names):
            warnings.append(f"none of {', '.join(names)} is set: {consequence}")
    return errors, warnings


def check_main(env_file):
    if env_file is None:
        values = {name: value for name, value in os.environ.items() if name in BY_NAME}
        source = "the environment"
    else:
        path = Path(env_file)
        if not path.is_file():
            print(f"error: {env_file} is not a file: cp .env.example .env and fill in the secrets", file=sys.stderr)
            return 2
        try:
            values = read_env_file(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            print(f"error: cannot read {env_file}: {exc}", file=sys.stderr)
            return 2
        source = env_file
    errors, warnings = check(values)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        print(f"{source}: {len(errors)} setting(s) stop the stack", file=sys.stderr)
        return 1
    print(f"{source}: settings ok" + (f" ({len(warnings)} warning(s))" if warnings else ""))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite .env.example and README's table")
    parser.add_argument("--check", action="store_true", help="exit 1 if either is out of date")
    commands = parser.add_subparsers(dest="command")
    checking = commands.add_parser("check", help="check a .env (or the environment) before starting")
    checking.add_argument("--env-file", help="the .env to check (default: the environment)")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check_main(args.env_file)
    readme = BLOCK.replace(README.read_text(encoding="utf-8"), readme_table())
    return sync({README: readme, ENV_EXAMPLE: env_example()}, args.write, BLOCK.command)


if __name__ == "__main__":
    sys.exit(main())
