"""The load of `make bench` with BENCH_DRIVER=locust: the same scenarios as bench/wrk/*.lua.

Each task has a tag (the scenario's name in bench/run.py); run.py runs one tag at a time, so each
scenario gets the whole server. The prepared records of a create scenario (BENCH_RECORDS, one a line)
are shared out between the users, each record used once."""

import itertools
import os
import random

from locust import FastHttpUser, between, tag, task

HEADERS = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}", "Api-key": os.environ["BENCH_API_KEY"]}
PERSON_ID = os.environ["BENCH_PERSON_ID"]
EMPLOYEE_ID = os.environ["BENCH_EMPLOYEE_ID"]
DECLARATIONS = "/api/v3/declaration_requests"


def _lines(name: str) -> list[str]:
    path = os.environ.get(name)
    return open(path).read().split() if path else []


RECORDS = itertools.cycle(_lines("BENCH_RECORDS") or [""])  # one process: the users share the iterator
PHONES = _lines("BENCH_PHONES")
# every phone once in a run: a random start, then in order (users share the counter)
_phone_numbers = itertools.count(random.randrange(10**7))
_user_numbers = itertools.count()


def new_phone() -> str:
    return f"+38067{next(_phone_numbers) % 10**7:07d}"


class Mis(FastHttpUser):
    wait_time = between(0, 0)

    def on_start(self):
        # a phone with a code to guess at (prepared): after the allowed wrong tries every guess is
        # "Maximum attempts exceed", which costs the same row lock and update path
        self.phone = PHONES[next(_user_numbers) % len(PHONES)] if PHONES else None

    def _call(self, method, path, name, ok=(200,), headers=HEADERS, **kwargs):
        with self.client.request(method, path, name=name, headers=headers, catch_response=True, **kwargs) as r:
            if r.status_code in ok:
                r.success()
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @tag("floor")
    @task
    def floor(self):
        self._call("GET", f"/api/persons/{PERSON_ID}", "floor")

    @tag("methods")
    @task
    def methods(self):
        self._call("GET", f"/api/persons/{PERSON_ID}/authentication_methods", "methods")

    @tag("lookup")
    @task
    def lookup(self):
        self._call("GET", f"/api/verifications/{new_phone()}", "lookup", ok=(200, 404))

    @tag("initialize")
    @task
    def initialize(self):
        self._call("POST", "/api/verifications", "initialize", json={"phone_number": new_phone()})

    @tag("complete")
    @task
    def complete(self):
        path = f"/api/verifications/{self.phone}/actions/complete"
        self._call("PATCH", path, "complete", ok=(403,), json={"code": 1111})

    @tag("authentication_method_request")
    @task
    def authentication_method_request(self):
        person, phone = next(RECORDS).split(",")  # the new phone is one the clinic verified
        body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": phone}}
        path = f"/api/persons/{person}/authentication_method_requests"
        self._call("POST", path, "authentication_method_request", ok=(201,), json=body)

    @tag("merge_request")
    @task
    def merge_request(self):
        master, merge = next(RECORDS).split(",")
        body = {"master_person_id": master, "merge_person_id": merge}
        self._call("POST", "/api/merge_requests", "merge_request", ok=(201,), json=body)

    @tag("declaration_create")
    @task
    def declaration_create(self):
        person, parent = next(RECORDS).split(",")
        body = {"person_id": person, "employee_id": EMPLOYEE_ID, "parent_declaration_id": parent}
        self._call("POST", DECLARATIONS, "declaration_create", ok=(201,), json=body)

    @tag("declaration_approve")
    @task
    def declaration_approve(self):
        path = f"{DECLARATIONS}/{next(RECORDS)}/actions/approve"
        self._call("PATCH", path, "declaration_approve", ok=(201,), json={})

    @tag("declaration_sign")
    @task
    def declaration_sign(self):
        request_id, signed = next(RECORDS).split(",")
        path = f"{DECLARATIONS}/{request_id}/actions/sign"
        body = {"signed_declaration_request": signed, "signed_content_encoding": "base64"}
        self._call("PATCH", path, "declaration_sign", ok=(200,), json=body)

    @tag("peer_register")
    @task
    def peer_register(self):
        self._call("POST", "/api/phone/register", "peer_register", headers={}, json={"phone_number": new_phone()})
