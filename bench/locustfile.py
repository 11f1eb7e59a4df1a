"""The load of `make bench`: the API's hot endpoints next to the floor, an authenticated read of one
person (the cheapest call through the same stack: gunicorn, auth, envelope, PostgreSQL).

Each task has a tag; bench/run.py runs one tag at a time, so each endpoint gets the whole server."""

import itertools
import os
import random

from locust import FastHttpUser, between, tag, task

HEADERS = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}", "Api-key": os.environ["BENCH_API_KEY"]}
PERSON_ID = os.environ["BENCH_PERSON_ID"]
FLOOR = "GET /api/persons/{id} (floor)"
EMPLOYEE_ID = os.environ["BENCH_EMPLOYEE_ID"]
PATIENTS = os.environ["BENCH_PATIENTS"].split(",")  # NA persons: no SMS, no documents
DECLARATIONS = "/api/v3/declaration_requests"
_patient_numbers = itertools.count()


def random_phone() -> str:
    return f"+38067{random.randrange(10**7):07d}"


class Mis(FastHttpUser):
    wait_time = between(0, 0)

    def on_start(self):
        # a phone with a code to guess at: after three wrong tries every guess is "Maximum attempts
        # exceed", which costs the same row lock and update path
        self.phone = random_phone()
        self.client.post("/api/verifications", json={"phone_number": self.phone}, headers=HEADERS)
        # a patient of this user alone: a newer declaration request cancels the person's older one
        self.patient = PATIENTS[next(_patient_numbers) % len(PATIENTS)]

    def _call(self, method, path, name, ok=(200,), **kwargs):
        with self.client.request(method, path, name=name, headers=HEADERS, catch_response=True, **kwargs) as r:
            if r.status_code in ok:
                r.success()
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @tag("floor")
    @task
    def read_person(self):
        self._call("GET", f"/api/persons/{PERSON_ID}", FLOOR)

    @tag("methods")
    @task
    def read_methods(self):
        self._call(
            "GET", f"/api/persons/{PERSON_ID}/authentication_methods", "GET /api/persons/{id}/authentication_methods"
        )

    @tag("initialize")
    @task
    def initialize(self):
        phone = random_phone()
        self._call("POST", "/api/verifications", "POST /api/verifications", json={"phone_number": phone})

    @tag("complete")
    @task
    def complete_wrong(self):
        self._call(
            "PATCH",
            f"/api/verifications/{self.phone}/actions/complete",
            "PATCH /api/verifications/{phone}/actions/complete",
            ok=(403,),
            json={"code": 1111},
        )

    @tag("lookup")
    @task
    def lookup(self):
        self._call("GET", f"/api/verifications/{random_phone()}", "GET /api/verifications/{phone}", ok=(200, 404))

    def _declaration_request(self, name: str) -> str | None:
        body = {"person_id": self.patient, "employee_id": EMPLOYEE_ID}
        with self.client.post(DECLARATIONS, json=body, name=name, headers=HEADERS, catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return None
            r.success()
            return r.json()["data"]["id"]

    @tag("declaration_create")
    @task
    def declaration_create(self):
        self._declaration_request(f"POST {DECLARATIONS}")

    @tag("declaration_approve")
    @task
    def declaration_approve(self):
        # every approve takes the seed chain's lock: this measures the serialised part
        request_id = self._declaration_request(f"POST {DECLARATIONS} (setup)")
        if request_id:
            self._call(
                "PATCH",
                f"{DECLARATIONS}/{request_id}/actions/approve",
                f"PATCH {DECLARATIONS}/{{id}}/actions/approve",
                ok=(201,),
                json={},
            )
