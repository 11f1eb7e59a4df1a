"""A newcomer's first hour, automated: a fresh copy of the repository, `make run` in the background, the
README's commands in the README's words, Ctrl-C, `make run` again, and every answer checked.

The copy holds the files git knows (tracked and untracked, none ignored: no .env, no var/), reuses this
checkout's virtualenv and gets its own SQLite database in its own var/.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.newcomer

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
# What the test settings put into this process's environment must not leak into the newcomer's shell.
NOT_INHERITED = ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "SMS_BACKEND", "SECURE_SSL_REDIRECT", "DATABASE_URL")
START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_copy(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # mtimes kept: `make install` sees the venv is current
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


class MakeRun:
    """`make run` in its own process group, its output in a file; stop() is the newcomer's Ctrl-C."""

    def __init__(self, cwd: Path, env: dict, log: Path):
        self.cwd, self.env, self.log = cwd, env, log
        self.process = None

    def start(self) -> dict:
        self.offset = self.log.stat().st_size if self.log.exists() else 0
        output = open(self.log, "ab")  # noqa: SIM115 (kept open for the child)
        self.process = subprocess.Popen(
            ["make", "run"], cwd=self.cwd, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        output.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make run exited {self.process.returncode}:\n{self.text()}"
            if "Web: http://" in self.text() and self.answers("/api/health"):
                return self.demo_output()
            time.sleep(0.3)
        raise AssertionError(f"make run did not start in {START_TIMEOUT} s:\n{self.text()}")

    def text(self) -> str:
        return self.log.read_bytes()[self.offset :].decode(errors="replace")

    def demo_output(self) -> dict:
        match = re.search(r"^\{\n.*?^\}$", self.text(), re.MULTILINE | re.DOTALL)
        assert match, self.text()
        return json.loads(match.group(0))

    def answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.env['PORT']}{path}", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        time.sleep(0.5)  # the port is free again once the server's socket closes


def readme_command(start: str) -> str:
    """The README's command line beginning with `start`, continuation lines joined."""
    match = re.search(rf"^{re.escape(start)}.*?(?<!\\)$", README, re.MULTILINE | re.DOTALL)
    assert match, f"the README has no line starting with {start!r}"
    return match.group(0).replace("\\\n", " ")


def readme_setup(start: str) -> str:
    """A README line that sets shell variables (`PORT=...`, `H=(...)`), as written."""
    return readme_command(start)


@pytest.fixture
def newcomer(tmp_path):
    copy = fresh_copy(tmp_path / "repo")
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    # The one setting changed: the second start sends the new demo merge request's code to the phone
    # that got one moments before; the default 30 s cooldown between codes would make the test wait.
    env.update(PORT=str(free_port()), OTP_RESEND_COOLDOWN_SECONDS="1")
    run = MakeRun(copy, env, tmp_path / "make-run.log")
    yield run
    run.stop()


def shell(run: MakeRun, script: str, **variables) -> str:
    """Run README lines in bash in the copy, with the variables a newcomer would have set by hand."""
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=run.cwd,
        env={**run.env, **variables},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_the_readme_works_as_written_twice(newcomer):
    first = newcomer.start()
    env_file = (newcomer.cwd / ".env").read_text()
    assert "DEBUG=true" in env_file and re.search(r"^SECRET_KEY=\S{50,}$", env_file, re.MULTILINE)
    assert {"admin user", "client Demo MIS", "merge request", "authentication-method request"} <= set(first["created"])
    for key in ("client_id", "client_secret", "api_key", "access_token"):
        assert first[key]
    assert newcomer.answers("/api/docs/") and newcomer.answers("/admin/login/")

    # --- "Calling the API": operator commands beside `make run`, exactly as written ---
    port_line = readme_setup("PORT=${PORT:-8000}; BASE=")
    created = last_json(shell(newcomer, readme_command(".venv/bin/python manage.py create_client")))
    assert set(created) == {"client_id", "client_secret", "api_key", "legal_entity_id"}
    issue = readme_command(".venv/bin/python manage.py issue_token").replace("gfKF...", created["client_id"])
    token = last_json(shell(newcomer, issue))
    assert token["scope"] == "otp:write otp:read" and token["expires_in"] == 3600
    oauth = last_json(
        shell(
            newcomer,
            f"{port_line}\n{readme_command('curl -s -u')}",
            CLIENT_ID=created["client_id"],
            CLIENT_SECRET=created["client_secret"],
        )
    )
    assert oauth["token_type"] == "Bearer" and oauth["scope"] == "otp:write otp:read"
    health = last_json(
        shell(
            newcomer,
            f"{port_line}\n{readme_command('curl -s -H')}",
            TOKEN=token["access_token"],
            API_KEY=created["api_key"],
        )
    )
    assert health["data"]["status"] == "ok"

    # --- "OTP verifications", with the demo's token and key ---
    demo = {"TOKEN": first["access_token"], "API_KEY": first["api_key"]}
    setup = f"{port_line}\n{readme_setup('H=(-H "Authorization')}"
    answer = last_json(shell(newcomer, f"{setup}\n{readme_command('curl -s "${H[@]}" -d')}", **demo))
    assert answer["data"]["status"] == "NEW" and answer["data"]["active"] is True
    sms = last_json(shell(newcomer, readme_command(".venv/bin/python manage.py outbox --last --phone +380501234567")))
    code = re.search(r"(\d+)$", sms["body"]).group(1)
    complete = readme_command('curl -s "${H[@]}" -X PATCH -d \'{"code": 4169}\'').replace("4169", code)
    assert last_json(shell(newcomer, f"{setup}\n{complete}", **demo))["data"]["status"] == "VERIFIED"
    verified = last_json(
        shell(newcomer, f"{setup}\n{readme_command('curl -s "${H[@]}" $BASE/api/verifications/')}", **demo)
    )
    assert verified["data"] == {"phone_number": "+380501234567"}

    # --- "Persons": the body the README shows is accepted ---
    person_body = re.search(r'^\{"first_name".*?\]\}$', README, re.MULTILINE | re.DOTALL).group(0)
    person = last_json(
        shell(
            newcomer,
            f'{setup}\ncurl -s "${{H[@]}}" -d "$BODY" $BASE/api/persons',
            BODY=person_body,
            **demo,
        )
    )
    assert person["meta"]["code"] == 201, person
    assert person["data"]["last_name"] == "Іванов"

    # --- the demo merge request approved with the code make run sent: the next start must still work ---
    merge_sms = last_json(shell(newcomer, ".venv/bin/python manage.py outbox --last --phone +380671112299"))
    merge_code = re.search(r"(\d+)$", merge_sms["body"]).group(1)
    approve = (
        f'{setup}\ncurl -s "${{H[@]}}" -X PATCH -d \'{{"verification_code": "{merge_code}"}}\' '
        f"$BASE/api/merge_requests/{first['merge_request']['id']}/actions/approve"
    )
    assert last_json(shell(newcomer, approve, **demo))["data"]["status"] == "APPROVED"

    # --- Ctrl-C, and `make run` again on the same database ---
    newcomer.stop()
    second = newcomer.start()
    for key in ("admin", "client_id", "client_secret", "api_key", "access_token", "legal_entity_id", "persons"):
        assert second[key] == first[key], key
    # the demo approval's code goes to the phone the first run's request code went to moments before: the
    # first run may have skipped it (the cooldown), and then this one makes it
    assert set(second["created"]) - {"approval"} == {"person Демченко Марія (duplicate)", "merge request"}, second[
        "created"
    ]
    assert second["approval"]["id"] and second["approval"]["status"] == "new"
    assert second["merge_request"]["id"] != first["merge_request"]["id"]
    assert (newcomer.cwd / ".env").read_text() == env_file
    again = last_json(
        shell(newcomer, f"{setup}\n{readme_command('curl -s "${H[@]}" $BASE/api/verifications/')}", **demo)
    )
    assert again["data"] == {"phone_number": "+380501234567"}  # the same token, still valid, and the data kept
