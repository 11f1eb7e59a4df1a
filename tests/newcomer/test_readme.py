"""A newcomer's first hour, automated: a fresh copy of the repository, `make run` in the background, the
README's walkthrough and then docs/api.md's, pasted block by block as written, at the default settings
(one code per phone and clinic per 30 s), Ctrl-C, `make run` again, and every answer checked. Also what
a newcomer meets when things go wrong: `make run` on a port that is taken.

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
API_GUIDE = (REPO / "docs" / "api.md").read_text()
# What the test settings put into this process's environment must not leak into the newcomer's shell.
NOT_INHERITED = ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "SMS_BACKEND", "SECURE_SSL_REDIRECT", "DATABASE_URL")
START_TIMEOUT = 90
RESEND_COOLDOWN = 30  # OTP_RESEND_COOLDOWN_SECONDS, left at its default


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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
                self.started = time.monotonic()  # the demo's codes were issued before this
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

    def stop(self) -> int | None:
        """Ctrl-C: SIGINT to the whole foreground group, as a terminal sends it; make's exit status."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError(f"make run did not stop on Ctrl-C:\n{self.text()}") from None
        return self.process.returncode


# --- the documents' shell blocks ------------------------------------------------------------------


def section(document: str, heading: str) -> str:
    """The text under `heading` (e.g. "## Merge requests"), up to the next heading of its level or above
    (a `# comment` inside a code block is no heading)."""
    level = len(heading.split(" ", 1)[0])
    lines = document.splitlines(keepends=True)
    start = lines.index(heading + "\n")
    fenced, taken = False, []
    for line in lines[start + 1 :]:
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(rf"#{{1,{level}}} ", line):
            break
        taken.append(line)
    return "".join(taken)


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def documents(output: str) -> list:
    """Every JSON object in a terminal's output, in order (curl prints its answers without a newline)."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while (position := output.find("{", position)) != -1:
        try:
            value, end = decoder.raw_decode(output, position)
        except ValueError:
            position += 1
            continue
        found.append(value)
        position = end
    return found


def paste(run: MakeRun, *blocks: str) -> list:
    """The blocks pasted, one after the other, into one bash in the copy (stderr shown as a terminal
    shows it, in order with stdout); the JSON objects it printed."""
    script = "set -euo pipefail\n" + "\n".join(blocks)
    result = subprocess.run(
        ["bash", "-c", script], cwd=run.cwd, env=run.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120
    )
    output = result.stdout.decode(errors="replace")
    assert result.returncode == 0, f"{script}\n--- output:\n{output}\n--- make run:\n{run.text()[-3000:]}"
    return documents(output)


def answers(printed: list, code: int) -> list[dict]:
    return [doc for doc in printed if isinstance(doc.get("meta"), dict) and doc["meta"].get("code") == code]


def sms_to(printed: list, phone: str) -> list[str]:
    return [doc["body"] for doc in printed if doc.get("phone_number") == phone and "body" in doc]


def poll_job(run: MakeRun, href: str, *, token: str, key: str, timeout: float = 15) -> dict:
    """The job once the worker has run it (the walkthrough's reader asks again a moment later)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{run.env['PORT']}{href}", headers={"Authorization": f"Bearer {token}", "Api-key": key}
    )
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(request, timeout=5) as response:
            state = json.loads(response.read())["data"]
        if state["status"] != "pending" or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


# --- the tests --------------------------------------------------------------------------------------


@pytest.fixture
def newcomer(tmp_path):
    copy = fresh_copy(tmp_path / "repo")
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(PORT=str(free_port()))  # nothing else: the default send limits, as a newcomer has them
    run = MakeRun(copy, env, tmp_path / "make-run.log")
    yield run
    run.stop()


def test_the_readme_and_the_api_guide_work_as_written_twice(newcomer):
    first = newcomer.start()
    env_file = (newcomer.cwd / ".env").read_text()
    assert "DEBUG=true" in env_file and re.search(r"^SECRET_KEY=\S{50,}$", env_file, re.MULTILINE)
    assert {"admin user", "client Demo MIS", "approval", "person Демченко Марія (duplicate)"} <= set(first["created"])
    assert "skipped" not in first  # no demo code waited for another's cooldown
    assert json.loads((newcomer.cwd / "var" / "demo.json").read_text()) == first
    for key in ("client_id", "client_secret", "api_key", "access_token"):
        assert first[key]
    assert newcomer.answers("/api/docs/") and newcomer.answers("/admin/login/")

    # --- the README's walkthrough, every block as written ---
    printed = paste(newcomer, *shell_blocks(section(README, "## Try it: confirm a phone with a one-time code")))
    assert answers(printed, 200)[0]["data"]["status"] == "NEW"
    assert re.fullmatch(r"Код авторизації дій в системі eHealth: \d{4}", sms_to(printed, "+380501234567")[0])
    assert [doc["data"]["status"] for doc in answers(printed, 200) if "status" in doc["data"]] == ["NEW", "VERIFIED"]
    assert answers(printed, 200)[-1]["data"] == {"phone_number": "+380501234567"}
    assert answers(printed, 401)[0]["error"]["message"] == "Invalid or expired access token"

    # --- docs/api.md: its setup, then each walkthrough right after the other, as written ---
    setup = shell_blocks(section(API_GUIDE, "## Before the walkthroughs"))[0]

    printed = paste(newcomer, setup, *shell_blocks(section(API_GUIDE, "## Clients and tokens")))
    created = next(doc for doc in printed if "client_secret" in doc)
    assert set(created) == {"client_id", "client_secret", "api_key", "legal_entity_id", "id"}
    tokens = [doc for doc in printed if "access_token" in doc]
    assert [(t["token_type"], t["scope"], t["expires_in"]) for t in tokens] == [
        ("Bearer", "otp:write otp:read", 3600)
    ] * 2
    assert answers(printed, 200)[-1]["data"] == {"phone_number": "+380501234567"}  # the new clinic's own token

    intake, walkthrough = shell_blocks(section(API_GUIDE, "## Persons and authentication-method requests"))
    printed = paste(newcomer, setup, intake)
    assert answers(printed, 201)[0]["data"]["last_name"] == "Петренко"
    assert [person["tax_id"] for person in answers(printed, 200)[0]["data"]] == ["3187500015"]
    printed = paste(newcomer, setup, walkthrough)
    assert answers(printed, 201)[0]["data"]["status"] == "NEW"
    assert "зміна способу підтвердження" in sms_to(printed, "+380503410870")[0]
    assert answers(printed, 201)[1]["data"]["status"] == "COMPLETED"
    methods = answers(printed, 200)[-1]["data"]
    assert {(m["type"], m.get("alias")) for m in methods} == {("OTP", "mobile"), ("THIRD_PERSON", "wife")}

    printed = paste(newcomer, setup, *shell_blocks(section(API_GUIDE, "## Merge requests")))
    assert answers(printed, 201)[0]["data"]["status"] == "NEW"
    assert answers(printed, 200)[0]["data"]["status"] == "APPROVED"
    merged = answers(printed, 200)[-1]["data"]
    assert (merged["status"], merged["merged_into"]) == ("inactive", first["merge"]["master_person_id"])

    printed = paste(newcomer, setup, *shell_blocks(section(API_GUIDE, "## Declaration requests")))
    declaration = answers(printed, 201)[0]["data"]
    assert declaration["authentication_method_current"] == {"type": "OTP", "number": "+38063*****67"}
    approved = answers(printed, 201)[1]["data"]
    assert (approved["status"], approved["status_reason"]) == ("APPROVED", "doctor_confirmed")
    assert (newcomer.cwd / "var" / "printout.html").read_text().startswith("<!DOCTYPE html>")
    signed = next(doc for doc in printed if "declaration_id" in doc)
    assert (signed["status"], signed["declaration_number"]) == ("active", approved["declaration_number"])
    assert [doc["data"]["status"] for doc in answers(printed, 200) if "status" in doc["data"]][-2:] == [
        "active",
        "terminated",
    ]

    create, resend = shell_blocks(section(API_GUIDE, "## Approvals and jobs"))
    printed = paste(newcomer, setup, create)
    assert answers(printed, 201)[0]["data"]["status"] == "new"
    assert answers(printed, 200)[-1]["data"]["status"] == "active"
    # a reader gets here minutes after `make run` started; the test, fast as it is, waits out the same 30 s
    time.sleep(max(0.0, newcomer.started + RESEND_COOLDOWN + 1 - time.monotonic()))
    printed = paste(newcomer, setup, resend)
    job = answers(printed, 202)[0]["data"]
    assert job["status"] == "pending" and job["links"][0]["entity"] == "job"
    assert answers(printed, 200)[0]["data"]["id"] == job["id"]  # the walkthrough's own look at the job
    finished = poll_job(newcomer, job["links"][0]["href"], token=first["access_token"], key=first["api_key"])
    assert (finished["status"], finished["status_code"]) == ("processed", 201), finished
    assert finished["response_data"]["id"] == first["approval"]["id"]

    # --- Ctrl-C: quiet, both processes stopped; then `make run` again on the same database ---
    assert newcomer.stop() == -signal.SIGINT  # make ends as interrupted, as any command on Ctrl-C
    log = newcomer.text()
    assert "Segmentation fault" not in log and "make: ***" not in log, log[-2000:]
    assert port_is_free(int(newcomer.env["PORT"]))
    second = newcomer.start()
    for key in ("admin", "client_id", "client_secret", "api_key", "access_token", "legal_entity_id", "persons"):
        assert second[key] == first[key], key
    assert second["created"] == ["person Демченко Марія (duplicate)"]  # the old duplicate was merged
    assert "skipped" not in second
    assert second["approval"]["id"] == first["approval"]["id"]  # still waiting for its (resent) code
    assert (newcomer.cwd / ".env").read_text() == env_file
    check = f'{setup}\ncurl -s "${{H[@]}}" $BASE/api/v3/declaration_requests/{approved["id"]}'
    again = answers(paste(newcomer, check), 200)[0]["data"]
    assert again["status"] == "SIGNED"  # what the user did stays


def test_make_run_on_a_taken_port_stops_at_once_and_sends_nothing(newcomer):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(newcomer.env["PORT"])))
        taken.listen()
        result = subprocess.run(
            ["make", "run"], cwd=newcomer.cwd, env=newcomer.env, capture_output=True, text=True, timeout=120
        )
    assert result.returncode != 0
    assert f"Port {newcomer.env['PORT']} on 127.0.0.1 is not free" in result.stderr
    assert f"make run PORT={int(newcomer.env['PORT']) + 1}" in result.stderr
    assert "Web: http://" not in result.stdout
    var = newcomer.cwd / "var"
    assert not (var / "sms-outbox.jsonl").exists() and not (var / "db.sqlite3").exists()  # not migrated, not seeded
    assert not (newcomer.cwd / ".env").exists()
