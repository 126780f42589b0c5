"""`make run` runs `ldntrial serve`: migrations, then gunicorn on the given address."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_serves_the_sign_in_page_and_says_how_to_start(tmp_path):
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "\trun: $(STAMP)" not in makefile
    assert "$(BIN)/ldntrial serve" in makefile
    port = free_port()
    env = {**os.environ, "LDNTRIAL_DATA_DIR": str(tmp_path)}
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
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
    try:
        body = None
        for _ in range(600):  # up to a minute: migrations first, on a busy machine
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/account/login/") as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, "the server did not answer"
        assert "Sign in" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/ldntrial/site.css") as r:
            assert r.status == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert f"ldntrial is running at http://127.0.0.1:{port}/" in output
    assert "ldntrial createadmin --clinic" in output
    database = tmp_path / "ldntrial.sqlite3"
    with sqlite3.connect(database) as connection:  # WAL mode is kept in the file itself
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
