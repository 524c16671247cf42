"""Alertmanager's configuration, rendered from environment variables.

Alertmanager does not expand variables in its file, and the webhook URL and SMTP
password are the operator's (not to be committed): so compose's alertmanager-config
service runs this at start and writes the file Alertmanager reads.

    python -m common.alertmanager_config --out /var/lib/gridgov/alertmanager.yml

Every alert goes to the receiver ``operators``: a webhook (ALERT_WEBHOOK_URL) and,
when ALERT_EMAIL_TO and SMTP_* are set, email. Critical alerts repeat hourly, warnings
every 4 hours; a critical alert silences the warnings of the same job. With no
receiver at all it refuses, naming the variables: alerts that reach nobody are the
failure this exists to prevent. deploy/alertmanager/alertmanager.example.yml is this
rendered with example values (docs/operations/monitoring.md).
"""
import argparse
import os
import sys
from pathlib import Path

import yaml

EXAMPLE_FILE = Path(__file__).resolve().parents[2] / "deploy" / "alertmanager" / "alertmanager.example.yml"
EXAMPLE_ENV = {
    "ALERT_WEBHOOK_URL": "http://alert-relay.example.internal:8060/alerts",
    "ALERT_EMAIL_TO": "ops@district.example, oncall@district.example",
    "SMTP_SMARTHOST": "mail.district.example:587",
    "SMTP_FROM": "gridgov-alerts@district.example",
    "SMTP_USERNAME": "gridgov-alerts",
    "SMTP_PASSWORD": "example-only",
}
EMAIL_REQUIRES = ("SMTP_SMARTHOST", "SMTP_FROM")


class ConfigError(ValueError):
    pass


def render(env=None, group_wait="30s"):
    """Alertmanager's configuration (a dict) for the variables in ``env``
    (``group_wait``: how long the first alert of a group waits for others; tests shorten it)."""
    env = {key: value.strip() for key, value in (os.environ if env is None else env).items()
           if isinstance(value, str) and value.strip()}
    webhook, email_to = env.get("ALERT_WEBHOOK_URL"), env.get("ALERT_EMAIL_TO")
    if not webhook and not email_to:
        raise ConfigError("No alert receiver: set ALERT_WEBHOOK_URL (and/or ALERT_EMAIL_TO with SMTP_SMARTHOST "
                          "and SMTP_FROM); see docs/operations/monitoring.md")
    if webhook and not webhook.startswith(("http://", "https://")):
        raise ConfigError(f"ALERT_WEBHOOK_URL must be an http:// or https:// URL, got {webhook[:40]!r}")
    receiver = {"name": "operators"}
    if webhook:
        receiver["webhook_configs"] = [{"url": webhook, "send_resolved": True}]
    config = {}
    if email_to:
        missing = [name for name in EMAIL_REQUIRES if not env.get(name)]
        if missing:
            raise ConfigError(f"ALERT_EMAIL_TO is set but {', '.join(missing)} is not")
        config["global"] = {
            "smtp_smarthost": env["SMTP_SMARTHOST"],
            "smtp_from": env["SMTP_FROM"],
            "smtp_require_tls": env.get("SMTP_REQUIRE_TLS", "true").lower() not in ("0", "false", "no", "off"),
        }
        if env.get("SMTP_USERNAME"):
            config["global"]["smtp_auth_username"] = env["SMTP_USERNAME"]
            config["global"]["smtp_auth_password"] = env.get("SMTP_PASSWORD", "")
        receiver["email_configs"] = [{"to": ", ".join(a.strip() for a in email_to.split(",") if a.strip()),
                                      "send_resolved": True}]
    config["route"] = {
        "receiver": "operators",
        "group_by": ["alertname", "job"],
        "group_wait": group_wait,
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": [{"matchers": ['severity="critical"'], "receiver": "operators", "repeat_interval": "1h"}],
    }
    config["receivers"] = [receiver]
    config["inhibit_rules"] = [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                                "equal": ["job"]}]
    return config


def dump(config):
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def example_text():
    header = ("# Alertmanager's configuration as common/common/alertmanager_config.py renders it, with\n"
              "# example values (generated: python -m common.alertmanager_config --example). Compose\n"
              "# renders the real one from ALERT_WEBHOOK_URL, ALERT_EMAIL_TO and SMTP_* at start.\n")
    return header + dump(render(EXAMPLE_ENV))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Render Alertmanager's configuration from the environment.")
    parser.add_argument("--out", help="file to write (default: print)")
    parser.add_argument("--example", action="store_true", help=f"write {EXAMPLE_FILE.name} from example values")
    args = parser.parse_args(argv)
    if args.example:
        EXAMPLE_FILE.parent.mkdir(parents=True, exist_ok=True)
        EXAMPLE_FILE.write_text(example_text(), encoding="utf-8")
        return 0
    try:
        text = dump(render())
    except ConfigError as exc:
        print(f"alertmanager config: {exc}", file=sys.stderr)
        return 2
    if not args.out:
        print(text, end="")
        return 0
    out = Path(args.out)
    out.write_text(text, encoding="utf-8")
    out.chmod(0o644)  # Alertmanager's container reads it as another user
    print(f"alertmanager config written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
