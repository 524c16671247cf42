"""Throwaway RabbitMQ vhosts for test and benchmark runs, so they never share queues
with a platform running on the same broker (``make run`` uses ``/``). Through the
management API when it answers, else ``rabbitmqctl`` (a broker on this machine)."""
import subprocess
from urllib.parse import quote

import requests


def _rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def create_vhost(name, management_url):
    """True once vhost ``name`` exists with every permission for guest.
    ``management_url``: ``http://user:password@host:15672``."""
    path = quote(name, safe="")
    try:
        requests.put(f"{management_url}/api/vhosts/{path}", timeout=5).raise_for_status()
        requests.put(f"{management_url}/api/permissions/{path}/guest", timeout=5,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        return True
    except requests.RequestException:
        pass
    try:
        _rabbitmqctl("add_vhost", name)
        _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def delete_vhost(name, management_url):
    """True if vhost ``name`` is gone."""
    try:
        requests.delete(f"{management_url}/api/vhosts/{quote(name, safe='')}", timeout=5).raise_for_status()
        return True
    except requests.RequestException:
        pass
    try:
        _rabbitmqctl("delete_vhost", name)
        return True
    except (OSError, subprocess.SubprocessError):
        return False
