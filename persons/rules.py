"""Pure rules of the persons registry: tax id (RNOKPP), ages, end dates and verification rules 01-05.

No database, no settings lookups: every input is an argument, so each rule has an exact test.
"""

import math
from datetime import UTC, date, datetime, timedelta

TAX_ID_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
TAX_ID_EPOCH = date(1899, 12, 31)  # the first five digits count days since this date
ADULT_AGE = 18

VERIFICATION_NEEDED = "VERIFICATION_NEEDED"
VERIFIED = "VERIFIED"
AUTO = "AUTO"
RULES_TRIGGERED = "RULES_TRIGGERED"
RULES_PASSED = "RULES_PASSED"


def today_utc() -> date:
    return datetime.now(UTC).date()


def tax_id_checksum_valid(tax_id: str) -> bool:
    """10 digits, not all zero, and the check digit ((Σ dᵢ·wᵢ) fmod 11) fmod 10 matches the tenth digit."""
    if len(tax_id) != 10 or not tax_id.isascii() or not tax_id.isdigit() or set(tax_id) == {"0"}:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(tax_id[:9], TAX_ID_WEIGHTS, strict=True))
    # a sign-keeping remainder (math.fmod, not %): a negative sum gives a negative digit, never valid
    return int(math.fmod(math.fmod(total, 11), 10)) == int(tax_id[9])


def tax_id_birth_date(tax_id: str) -> date:
    return TAX_ID_EPOCH + timedelta(days=int(tax_id[:5]))


def tax_id_gender(tax_id: str) -> str:
    """The ninth digit: odd for men, even for women."""
    return "MALE" if int(tax_id[8]) % 2 else "FEMALE"


def tax_id_valid_for(tax_id: str, *, birth_date: date, gender: str) -> bool:
    """Checksum, birth date and gender all match (rule 03 holds when this is False)."""
    return tax_id_checksum_valid(tax_id) and tax_id_birth_date(tax_id) == birth_date and tax_id_gender(tax_id) == gender


def age(birth_date: date, today: date) -> int:
    """Full years at `today`. Born on 29 February: one year older on 1 March of a common year."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def add_years(day: date, years: int) -> date:
    """The anniversary; 29 February of a common year becomes 1 March (the day `age` counts it)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def third_person_end_date(*, birth_date: date, today: date, no_self_auth_age: int, term_days: int) -> date:
    """Seed 003: under no_self_auth_age → birth_date + no_self_auth_age - 1 day, else today + term."""
    if age(birth_date, today) < no_self_auth_age:
        return add_years(birth_date, no_self_auth_age) - timedelta(days=1)
    return today + timedelta(days=term_days)


def rule_02(*, age_years: int, no_self_auth_age: int, no_tax_id: bool) -> bool:
    """Old enough to act alone, and has no tax id."""
    return age_years >= no_self_auth_age and no_tax_id


def rule_03(*, age_years: int, no_self_auth_age: int, no_tax_id: bool, tax_id: str, birth_date: date, gender: str):
    """Old enough to act alone, and the tax id does not match checksum, birth date or gender."""
    if age_years < no_self_auth_age or no_tax_id:
        return False
    return not tax_id_valid_for(tax_id or "", birth_date=birth_date, gender=gender)


def rule_04(*, age_years: int, no_self_auth_age: int, document_types: set[str]) -> bool:
    """A child with a foreign birth certificate."""
    return age_years < no_self_auth_age and "BIRTH_CERTIFICATE_FOREIGN" in document_types


def rule_05(*, age_years: int, no_self_auth_age: int, document_types: set[str]) -> bool:
    """Old enough to act alone, with a permanent residence permit."""
    return age_years >= no_self_auth_age and "PERMANENT_RESIDENCE_PERMIT" in document_types


def rules_02_05_hold(
    *,
    birth_date: date,
    gender: str,
    tax_id: str,
    no_tax_id: bool,
    document_types: set[str],
    today: date,
    no_self_auth_age: int,
) -> list[str]:
    """The names of the rules among 02-05 that hold (empty: the person can be verified with registers)."""
    years = age(birth_date, today)
    held = {
        "02": rule_02(age_years=years, no_self_auth_age=no_self_auth_age, no_tax_id=no_tax_id),
        "03": rule_03(
            age_years=years,
            no_self_auth_age=no_self_auth_age,
            no_tax_id=no_tax_id,
            tax_id=tax_id,
            birth_date=birth_date,
            gender=gender,
        ),
        "04": rule_04(age_years=years, no_self_auth_age=no_self_auth_age, document_types=document_types),
        "05": rule_05(age_years=years, no_self_auth_age=no_self_auth_age, document_types=document_types),
    }
    return [name for name, holds in held.items() if holds]


def verification_after_insert(
    *, method_type: str, current_status: str, rules_held: list[str]
) -> tuple[str, str] | None:
    """Rule 01 (the method itself) on approve of an INSERT: the new (status, reason), or None when nothing changes.

    OFFLINE → VERIFICATION_NEEDED/AUTO; OTP and not VERIFIED → VERIFICATION_NEEDED with RULES_TRIGGERED
    when any of rules 02-05 holds, else RULES_PASSED (the caller clears the comment on RULES_PASSED).
    """
    if method_type == "OFFLINE":
        return VERIFICATION_NEEDED, AUTO
    if method_type == "OTP" and current_status != VERIFIED:
        return VERIFICATION_NEEDED, RULES_TRIGGERED if rules_held else RULES_PASSED
    return None


def verification_at_intake(*, method_type: str, rules_held: list[str]) -> tuple[str, str]:
    """A new person: always VERIFICATION_NEEDED; OFFLINE → AUTO, a rule holds → RULES_TRIGGERED, else PASSED."""
    if method_type == "OFFLINE":
        return VERIFICATION_NEEDED, AUTO
    return VERIFICATION_NEEDED, RULES_TRIGGERED if rules_held else RULES_PASSED
