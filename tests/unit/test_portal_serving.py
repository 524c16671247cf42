"""gateway.portal and gateway.conditional: the built portal's files (only those the
folder holds), their caching and policy, and answers with an ETag."""
import gzip
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common.errors import NotFound
from gateway import conditional
from gateway.portal import Portal, content_security_policy


def request(**headers):
    return Request(EnvironBuilder(headers=headers).get_environ())


@pytest.fixture
def dist(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>门户</title>" + " " * 2000, encoding="utf-8")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (tmp_path / "manifest.webmanifest").write_text("{}")
    (tmp_path / "icon.svg").write_text("<svg/>")
    (tmp_path / "assets" / "index-AbC123.js").write_text("console.log(1);" * 200)
    (tmp_path.parent / "secret.txt").write_text("no")
    (tmp_path / "link.js").symlink_to(tmp_path.parent / "secret.txt")
    return tmp_path


def test_index_and_top_level_files_are_revalidated_assets_kept(dist):
    portal = Portal(dist)
    index = portal.answer(request(), "index.html")
    assert index.status_code == 200 and index.mimetype == "text/html"
    assert index.headers["Cache-Control"] == "no-cache" and index.headers["ETag"]
    assert "frame-ancestors 'none'" in index.headers["Content-Security-Policy"]
    worker = portal.answer(request(), "sw.js")
    assert worker.headers["Service-Worker-Allowed"] == "/portal/" and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert portal.answer(request(), "manifest.webmanifest").headers["Cache-Control"] == "no-cache"
    assert portal.answer(request(), "manifest.webmanifest").mimetype == "application/manifest+json"
    assert portal.answer(request(), "icon.svg").headers["Cache-Control"] == "no-cache"
    asset = portal.answer(request(), "index-AbC123.js", under="assets")
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Service-Worker-Allowed" not in asset.headers


@pytest.mark.parametrize("name, under", [("..", None), ("assets", None), ("secret.txt", None), ("link.js", None),
                                         ("../secret.txt", None), ("index.html", "assets"), ("nothing.js", "assets"),
                                         ("%2e%2e", None)])
def test_only_files_the_folder_holds_are_served(dist, name, under):
    with pytest.raises(NotFound) as missing:
        Portal(dist).answer(request(), name, under=under)
    assert missing.value.code == "PORTAL_FILE_NOT_FOUND"


def test_an_unbuilt_portal_answers_503_saying_how_to_build_it(tmp_path):
    answer = Portal(tmp_path / "dist").answer(request(), "index.html")
    assert answer.status_code == 503 and answer.mimetype == "text/plain"
    assert "make portal" in answer.get_data(as_text=True)


def test_etag_gives_304_and_gzip_when_accepted(dist):
    portal = Portal(dist)
    first = portal.answer(request(), "index.html")
    again = portal.answer(request(**{"If-None-Match": first.headers["ETag"]}), "index.html")
    assert again.status_code == 304 and not again.get_data()
    zipped = portal.answer(request(**{"Accept-Encoding": "gzip, deflate, br"}), "index-AbC123.js", under="assets")
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == (dist / "assets" / "index-AbC123.js").read_bytes()
    assert portal.answer(request(**{"If-None-Match": zipped.headers["ETag"]}), "index-AbC123.js",
                         under="assets").status_code == 304
    (dist / "index.html").write_text("<!doctype html><title>新版</title>")
    assert portal.answer(request(**{"If-None-Match": first.headers["ETag"]}), "index.html").status_code == 200


def test_the_policy_names_the_tile_host_and_blob_workers():
    plain = content_security_policy("")
    assert "worker-src 'self' blob:" in plain and "script-src 'self';" in plain and "unsafe-eval" not in plain
    assert "connect-src 'self';" in plain and "img-src 'self' data: blob:;" in plain
    tiles = content_security_policy("https://tiles.example.gov.cn:8443/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://tiles.example.gov.cn:8443;" in tiles
    assert "connect-src 'self' https://tiles.example.gov.cn:8443;" in tiles


def test_config_and_a_bad_tile_url():
    portal = Portal(None, "https://t.example.cn/{z}/{x}/{y}.png", "© 区测绘院")
    assert portal.config()["tile_url"] == "https://t.example.cn/{z}/{x}/{y}.png"
    assert portal.config()["tile_attribution"] == "© 区测绘院" and portal.config()["version"]
    with pytest.raises(ValueError, match="PORTAL_TILE_URL"):
        Portal(None, "https://t.example.cn/tiles.png")


def test_a_json_answer_has_an_etag_a_304_and_gzip():
    payload = {"type": "FeatureCollection", "features": [{"name": "网格"}] * 200}
    plain = conditional.json_answer(request(), payload)
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "private, max-age=60"
    assert json.loads(plain.get_data()) == payload and b": " not in plain.get_data()
    zipped = conditional.json_answer(request(**{"Accept-Encoding": "gzip"}), payload)
    assert zipped.headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(zipped.get_data())) == payload
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    for tag in (plain.headers["ETag"], zipped.headers["ETag"], f'W/{plain.headers["ETag"]}', "*"):
        assert conditional.json_answer(request(**{"If-None-Match": tag}), payload).status_code == 304
    assert conditional.json_answer(request(**{"If-None-Match": '"other"'}), payload).status_code == 200
    assert conditional.json_answer(request(**{"Accept-Encoding": "gzip;q=0"}), payload).headers.get(
        "Content-Encoding") is None
