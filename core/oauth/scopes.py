"""The scope registry: every OAuth scope the API knows, with what it allows.

Plain data: settings import it, so it must not import django-oauth-toolkit.
"""

SCOPES = {
    "otp:write": "Send and complete one-time codes (OTP verifications)",
    "otp:read": "Check whether a phone number was verified",
    "person:read": "Read persons and their authentication methods",
    "person:write": "Register persons",
    "person:verify": "Read and set a person's verification status",
    "authentication_method_request:read": "Read authentication-method requests",
    "authentication_method_request:write": "Create, resend and approve authentication-method requests",
    "merge_request:read": "Read merge requests",
    "merge_request:write": "Create, resend, approve and reject merge requests",
    "declaration_request:read": "Read declaration requests",
    "declaration_request:write": "Create declaration requests and resend their codes",
    "declaration_request:approve": "Approve declaration requests",
    "declaration_request:reject": "Reject declaration requests",
    "declaration_request:sign": "Sign approved declaration requests (the doctor's signature makes the declaration)",
    "declaration:read": "Read declarations",
    "declaration:write": "Terminate declarations",
    "approval:create": "Create approvals, confirm them and resend their codes",
    "approval:read": "Read approvals",
    "job:read": "Read the state of asynchronous jobs",
}
