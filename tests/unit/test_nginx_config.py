"""deploy/nginx/gridgov.conf, the example reverse proxy of docs/operations/tls.md:
Debian's nginx accepts it (`nginx -t`, with a throwaway certificate), and its values
agree with the platform's settings (common.settings)."""
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from common import settings

CONF = settings.ROOT / "deploy" / "nginx" / "gridgov.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def directives(name):
    return re.findall(rf"^\s*{name}\s+([^;]+);", CONF.read_text(encoding="utf-8"), re.M)


def throwaway_certificate(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wangge.example.gov.cn")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (folder / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))


def test_nginx_accepts_the_example(tmp_path):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run does)")
    throwaway_certificate(tmp_path)
    site = CONF.read_text(encoding="utf-8").replace("/etc/ssl/gridgov/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    result = subprocess.run([NGINX, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                             "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_example_agrees_with_the_settings():
    assert directives("ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    assert any("Strict-Transport-Security" in value for value in directives("add_header"))
    size = directives("client_max_body_size")[0]
    assert int(size.rstrip("m")) * 1024 * 1024 == int(settings.BY_NAME["MAX_REQUEST_BYTES"].default)
    rpc_timeout = float(settings.BY_NAME["RPC_TIMEOUT_SECONDS"].default)
    assert all(int(value.rstrip("s")) > rpc_timeout for value in directives("proxy_read_timeout"))
    assert "$proxy_add_x_forwarded_for" in directives("proxy_set_header X-Forwarded-For")
    text = CONF.read_text(encoding="utf-8")
    assert re.search(r"location = /metrics \{\s*return 404;", text), "/metrics must not be proxied"
    assert re.findall(r"^\s*server (\S+);", text, re.M) == ["127.0.0.1:8000"]  # the gateway's published port
