"""A real server started with .streamlit/config.toml refuses what a classroom server should."""

import urllib.error
import urllib.request

import pytest

from tools import browser

UPLOAD_PAGE = """
import streamlit as st

uploaded = st.file_uploader("file", key="upload")
st.write(f"received {uploaded.size if uploaded else 0} bytes")
"""


def http(url, method="GET", data=None):
    """(status, body) of one request, errors included."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, method=method)) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.slow
def test_a_server_started_with_it_refuses_big_and_cross_site_uploads_and_static_files(
    tmp_path, page
):
    (tmp_path / "upload_page.py").write_text(UPLOAD_PAGE)
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "secret.txt").write_text("not for students")
    with browser.start_app(tmp_path / "upload_page.py", log_dir=tmp_path) as app:
        # No XSRF token (a form on another site): refused before anything is read.
        status, body = http(f"{app.url}/_stcore/upload_file/session/file", "PUT", b"x")
        assert (status, body) == (403, b"XSRF token missing or invalid")
        # No static file serving: the app's page comes back, not the file.
        status, body = http(f"{app.url}/app/static/secret.txt")
        assert b"not for students" not in body

        browser.open_app(page, app.url)
        # A real upload from the page tells us its session's upload URL and XSRF token.
        uploads = []
        page.on("request", lambda request: "upload_file" in request.url and uploads.append(request))
        (tmp_path / "small.bin").write_bytes(b"a" * 1000)
        browser.upload_file(page, tmp_path / "small.bin")
        assert "received 1000 bytes" in page.inner_text("body")
        url, token = uploads[-1].url, uploads[-1].headers["x-xsrftoken"]

        def put(size):
            file = {"name": "photo.png", "mimeType": "image/png", "buffer": b"a" * size}
            reply = page.request.put(url, multipart={"file": file}, headers={"X-Xsrftoken": token})
            return reply.status, reply.text()

        megabyte = 1024 * 1024
        assert put(24 * megabyte)[0] == 204  # under the limit: accepted
        assert put(26 * megabyte) == (413, "File too large")  # the server refuses it
        # The page itself refuses it too, with a message, before sending anything.
        (tmp_path / "big.png").write_bytes(b"a" * 26 * megabyte)
        page.locator(".st-key-upload input[type=file]").set_input_files(tmp_path / "big.png")
        page.get_by_text("File must be 25.0MB or smaller").wait_for(timeout=10_000)
