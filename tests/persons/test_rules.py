from datetime import date

import pytest

from persons import rules

NSA = 14  # NO_SELF_AUTH_AGE
TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("tax_id", "valid"),
    [
        ("3346812319", True),  # the demo's Петро Іванов: 1991-08-19, male
        ("3346812318", False),  # wrong check digit
        ("0000000000", False),  # all zero
        ("334681231", False),  # nine digits
        ("33468123190", False),  # eleven
        ("33468l2319", False),  # a letter
        ("３３４６８１２３１９", False),  # full-width digits are not ASCII digits
    ],
)
def test_tax_id_checksum(tax_id, valid):
    assert rules.tax_id_checksum_valid(tax_id) is valid


def test_tax_id_checksum_keeps_the_sign_of_a_negative_sum():
    # first digit 9 with weight −1 and zeros elsewhere: sum −9; fmod keeps −9 (never a digit), % would give 2
    assert rules.tax_id_checksum_valid("9000000002") is False
    assert rules.tax_id_checksum_valid("9000000009") is False


def test_tax_id_birth_date_and_gender():
    assert rules.tax_id_birth_date("3346812319") == date(1991, 8, 19)
    assert rules.tax_id_birth_date("0000100000") == date(1900, 1, 1)
    assert rules.tax_id_gender("3346812319") == "MALE"  # ninth digit 1: odd
    assert rules.tax_id_gender("3346812329") == "FEMALE"  # ninth digit 2: even


def test_tax_id_valid_for_needs_checksum_birth_date_and_gender():
    assert rules.tax_id_valid_for("3346812319", birth_date=date(1991, 8, 19), gender="MALE")
    assert not rules.tax_id_valid_for("3346812319", birth_date=date(1991, 8, 20), gender="MALE")
    assert not rules.tax_id_valid_for("3346812319", birth_date=date(1991, 8, 19), gender="FEMALE")
    assert not rules.tax_id_valid_for("3346812318", birth_date=date(1991, 8, 19), gender="MALE")


@pytest.mark.parametrize(
    ("birth", "today", "years"),
    [
        (date(2000, 6, 15), date(2026, 6, 15), 26),  # birthday today
        (date(2000, 6, 16), date(2026, 6, 15), 25),  # birthday tomorrow
        (date(2012, 2, 29), date(2026, 2, 28), 13),  # leap-day birthday, common year: not yet
        (date(2012, 2, 29), date(2026, 3, 1), 14),  # ... counted on 1 March
        (date(2012, 2, 29), date(2028, 2, 29), 16),  # leap year: on the day
        (date(2012, 2, 29), date(2028, 2, 28), 15),
    ],
)
def test_age_in_full_years(birth, today, years):
    assert rules.age(birth, today) == years


def test_third_person_end_date_for_a_ten_year_old():
    end = rules.third_person_end_date(birth_date=date(2016, 5, 10), today=TODAY, no_self_auth_age=NSA, term_days=730)
    assert end == date(2030, 5, 9)  # birth_date + 14 years − 1 day


def test_third_person_end_date_for_an_adult():
    end = rules.third_person_end_date(birth_date=date(1990, 1, 1), today=TODAY, no_self_auth_age=NSA, term_days=730)
    assert end == date(2028, 6, 14)  # today + THIRD_PERSON_TERM (730 days)


def test_third_person_end_date_for_a_leap_day_child():
    end = rules.third_person_end_date(birth_date=date(2016, 2, 29), today=TODAY, no_self_auth_age=NSA, term_days=730)
    assert end == date(2030, 2, 28)  # turns 14 on 1 March 2030, so the day before


def test_third_person_end_date_on_the_fourteenth_birthday_uses_the_term():
    end = rules.third_person_end_date(birth_date=date(2012, 6, 15), today=TODAY, no_self_auth_age=NSA, term_days=730)
    assert end == date(2028, 6, 14)


def held(**overrides):
    person = {
        "birth_date": date(1991, 8, 19),
        "gender": "MALE",
        "tax_id": "3346812319",
        "no_tax_id": False,
        "document_types": {"PASSPORT"},
    } | overrides
    return rules.rules_02_05_hold(today=TODAY, no_self_auth_age=NSA, **person)


def test_no_rule_holds_for_a_consistent_adult():
    assert held() == []


def test_rule_02_adult_without_tax_id():
    assert held(no_tax_id=True, tax_id="") == ["02"]
    assert held(no_tax_id=True, tax_id="", birth_date=date(2016, 1, 1)) == []  # a child: no


def test_rule_03_tax_id_does_not_match():
    assert held(tax_id="3346812318") == ["03"]  # checksum
    assert held(birth_date=date(1991, 8, 20)) == ["03"]  # birth date
    assert held(gender="FEMALE") == ["03"]  # gender
    assert held(tax_id="") == ["03"]  # missing although no_tax_id is false
    assert held(tax_id="3346812318", birth_date=date(2016, 1, 1)) == []  # a child: no


def test_rule_04_child_with_foreign_birth_certificate():
    child = {"birth_date": date(2016, 1, 1), "tax_id": "", "no_tax_id": True}
    assert held(**child, document_types={"BIRTH_CERTIFICATE_FOREIGN"}) == ["04"]
    assert held(**child, document_types={"BIRTH_CERTIFICATE"}) == []
    assert held(document_types={"BIRTH_CERTIFICATE_FOREIGN"}) == []  # an adult: no


def test_rule_05_adult_with_permanent_residence_permit():
    assert held(document_types={"PERMANENT_RESIDENCE_PERMIT"}) == ["05"]
    child = {"birth_date": date(2016, 1, 1), "tax_id": "", "no_tax_id": True}
    assert held(**child, document_types={"PERMANENT_RESIDENCE_PERMIT"}) == []


def test_rule_01_offline_insert_is_auto():
    assert rules.verification_after_insert(method_type="OFFLINE", current_status="VERIFIED", rules_held=[]) == (
        "VERIFICATION_NEEDED",
        "AUTO",
    )


def test_rule_01_otp_insert_with_a_rule_triggered():
    result = rules.verification_after_insert(method_type="OTP", current_status="NOT_VERIFIED", rules_held=["02"])
    assert result == ("VERIFICATION_NEEDED", "RULES_TRIGGERED")


def test_rule_01_otp_insert_with_rules_passed():
    result = rules.verification_after_insert(method_type="OTP", current_status="IN_REVIEW", rules_held=[])
    assert result == ("VERIFICATION_NEEDED", "RULES_PASSED")


def test_rule_01_otp_insert_leaves_a_verified_person_alone():
    assert rules.verification_after_insert(method_type="OTP", current_status="VERIFIED", rules_held=["02"]) is None


@pytest.mark.parametrize("method_type", ["NA", "THIRD_PERSON"])
def test_rule_01_other_inserts_change_nothing(method_type):
    assert rules.verification_after_insert(method_type=method_type, current_status="IN_REVIEW", rules_held=[]) is None


def test_intake_reason():
    assert rules.verification_at_intake(method_type="OFFLINE", rules_held=["02"]) == ("VERIFICATION_NEEDED", "AUTO")
    assert rules.verification_at_intake(method_type="OTP", rules_held=["02"])[1] == "RULES_TRIGGERED"
    assert rules.verification_at_intake(method_type="NA", rules_held=[])[1] == "RULES_PASSED"
