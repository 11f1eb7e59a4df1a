import re
import time

import pytest

from verifications import codes

CODE = re.compile(r"^[1-9][0-9]*$")


@pytest.mark.parametrize("length", [1, 4, 6, 8])
def test_random_codes_have_the_length_and_no_leading_zero(length):
    generated = {codes.random_code(length) for _ in range(300)}
    assert all(CODE.match(code) and len(code) == length for code in generated)
    if length >= 4:
        assert len(generated) > 250  # random, not a constant or a short cycle


def test_hotp_matches_rfc_4226_test_vectors():
    # RFC 4226, Appendix D: the truncated values for the secret "12345678901234567890".
    key = b"12345678901234567890"
    expected = [1284755224, 1094287082, 137359152, 1726969429, 1640338314, 868254676, 1918287922, 82162583]
    assert [codes.hotp_value(key, counter) for counter in range(8)] == expected


def test_digits_never_start_with_zero():
    assert codes.digits_without_leading_zero(0, 4) == "1000"
    assert codes.digits_without_leading_zero(8999, 4) == "9999"
    assert codes.digits_without_leading_zero(9000, 4) == "1000"
    assert codes.digits_without_leading_zero(1284755224, 6) == "555224"  # 100000 + 1284755224 % 900000


def test_totp_is_stable_within_a_step_and_changes_across_steps():
    key = b"k" * 32
    assert codes.totp_code(key, 60.0, 4) == codes.totp_code(key, 89.9, 4)
    steps = {codes.totp_code(key, 30.0 * step, 4) for step in range(50)}
    assert len(steps) > 40
    assert all(CODE.match(code) and len(code) == 4 for code in steps)


def test_generator_setting_selects_totp(settings):
    settings.OTP_GENERATOR = "totp"
    settings.OTP_CODE_LENGTH = 6
    now = time.time()
    first = codes.generate_code(phone_number="+380501234567", unix_time=now)
    assert CODE.match(first) and len(first) == 6
    assert codes.generate_code(phone_number="+380501234567", unix_time=now) == first
    others = {codes.generate_code(phone_number=f"+38050123450{i}", unix_time=now) for i in range(10)}
    assert len(others) > 5  # a key per phone: phones do not share the sequence


def test_digest_is_keyed_bound_to_the_row_and_compared(settings):
    digest = codes.code_digest(verification_id="a", code="1234")
    assert codes.code_matches(verification_id="a", code="1234", digest=digest)
    assert not codes.code_matches(verification_id="a", code="1235", digest=digest)
    assert not codes.code_matches(verification_id="b", code="1234", digest=digest)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert not codes.code_matches(verification_id="a", code="1234", digest=digest)


def test_encrypted_code_round_trips_and_expires(settings):
    ciphertext = codes.encrypt_code("4321")
    assert "4321" not in ciphertext
    assert codes.decrypt_code(ciphertext, max_age_seconds=60) == "4321"
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert codes.decrypt_code(ciphertext, max_age_seconds=60) is None


def test_encrypted_code_too_old_is_refused():
    ciphertext = codes.encrypt_code("4321")
    time.sleep(1.1)
    assert codes.decrypt_code(ciphertext, max_age_seconds=0) is None
