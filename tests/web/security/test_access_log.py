"""The server's access log after a whole invitation flow holds no invitation code.

Real gunicorn, started as `make run` starts it (`ldntrial serve`), on a throwaway SQLite data
directory; the invitation is made there by the same service the staff page uses.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

MAKE_INVITATION = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from ldntrial.web.accounts import services
admin = services.create_admin(clinic_name="Log clinic", username="log-admin", email="",
                              password="correct horse battery staple 42")
invitation, token = services.invite(by=admin, role="pharmacist", username="log-pharm")
print(token)
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_full_invitation_flow_leaves_no_code_in_the_access_log(tmp_path):
    env = {**os.environ, "LDNTRIAL_DATA_DIR": str(tmp_path / "data")}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "LDNTRIAL_OWNER_DATABASE_URL"):
        env.pop(name, None)
    env["DJANGO_SETTINGS_MODULE"] = "ldntrial.web.settings"
    token = subprocess.run(
        [sys.executable, "-c", MAKE_INVITATION],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert len(token) > 20
    env.pop("DJANGO_SETTINGS_MODULE")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ldntrial",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        page = None
        for _ in range(100):
            try:
                # What a browser sends for the link /join/#<code>: the fragment stays behind.
                page = opener.open(f"{base}/join/").read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert page is not None, "the server did not answer"

        def post(fields, page):
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert found is not None, "the page holds no CSRF token"
            csrf = found.group(1)
            data = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, **fields}).encode()
            request = urllib.request.Request(f"{base}/join/", data=data)
            request.add_header("Referer", f"{base}/join/")
            return opener.open(request)

        second = post({"code": token}, page).read().decode()
        assert "log-pharm" in second
        password = "another horse battery staple 7"
        done = post({"code": token, "password": password, "password_again": password}, second)
        assert done.geturl().endswith("/account/two-factor/")  # signed in: set up the factor
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    requests = [line for line in output.splitlines() if '"POST /join/' in line]
    assert len(requests) == 2, output  # the access log is on, and has the two POSTs
    assert token not in output
    assert token[:12] not in output
