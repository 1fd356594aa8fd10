"""The secrets and personal-data scan: what it finds, what it must not find, the three modes,
and that no report ever copies the matched text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.validation.builders import chat, validate_bytes, with_padding
from tuning.cli import describe
from tuning.validation.scanning import (
    CHECKS,
    EXCLUDED_DETECTORS,
    OWN_PATTERNS,
    SECRET_DETECTORS,
    DataScanner,
    TextGate,
    TextPattern,
    luhn_valid,
)

ROOT = Path(__file__).resolve().parents[2]
GATE = TextGate([check.gate for check in CHECKS])
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
STORAGE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq" + "/K1SZFPTOtr/KBHBeksoGMGw=="
# (the secret or datum as it appears in text, code, kind); all of them made up.
SAMPLES = [
    ("AKIAIOSFODNN7EXAMPLE", "possible_secret", "AWS Access Key"),
    ("ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "possible_secret", "GitHub Token"),
    ("glpat-Zx8Yw7Vu6Ts5Rq4Po3Nm", "possible_secret", "GitLab Token"),
    ("xoxb-1234567890-0987654321-abcdefghijklmnop", "possible_secret", "Slack Token"),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "possible_secret", "Stripe Access Key"),
    ("sk-abcdefghij0123456789T3BlbkFJabcdefghij0123456789", "possible_secret", "OpenAI Token"),
    ("AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "possible_secret", "Google API Key"),
    ("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", "possible_secret", "Google OAuth Client Secret"),
    ("sk-proj-Xy7Kq2Lm9Np4Rs6Tu8Vw1Yz3Ab5Cd7Ef9Gh2Ij4Kl", "possible_secret", "OpenAI API Key"),
    ("sk-ant-api03-Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh0Gf9", "possible_secret", "Anthropic API Key"),
    ("hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "possible_secret", "Hugging Face Token"),
    (JWT, "possible_secret", "JSON Web Token"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA", "possible_secret", "Private Key"),
    ("postgres://admin:hunter2pass@db.example.com/app", "possible_secret", "Basic Auth Credentials"),
    (f"AccountName=acct;AccountKey={STORAGE_KEY};", "possible_secret", "Azure Storage Account access key"),
    ("Server=db;User Id=app;Password=Tr0ub4dor&3x;", "possible_secret", "Connection string with a key"),
    ("api_key = 'Zx9Qw2Er7Ty4Ui1Op3As'", "possible_secret", "High-entropy value in a key-like context"),
    (
        "Authorization: Bearer a8Fk2LmQ9zX4pR7tY1wE",
        "possible_secret",
        "High-entropy value in a key-like context",
    ),
    (
        "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbCdEf0123456789GhIjKlMn%3D",
        "possible_secret",
        "Shared access signature",
    ),
    ("jane.doe@example.org", "possible_pii", "e-mail address"),
    ("+44 20 7946 0958", "possible_pii", "phone number"),
    ("(415) 555-0132", "possible_pii", "phone number"),
    ("4111 1111 1111 1111", "possible_pii", "payment card number"),
    ("GB82 WEST 1234 5698 7654 32", "possible_pii", "IBAN"),
]
NOT_FOUND = [
    "4111 1111 1111 1112",  # fails the Luhn check
    "GB83 WEST 1234 5698 7654 32",  # wrong IBAN check digits
    "eyJhbGciOiJIUz.eyJzdWIiOiIx.abc",  # JWT-shaped, but not JSON inside
    "the token: training example for the model",  # a key-like word, no random value
    "password: hunter2",  # too short to judge by entropy
    "call me at 2026 3.14 42",  # numbers, not a phone
    "x=y+1; return None",  # code, no key
    "AIza is a short word",  # a provider prefix alone
    "the sk-proj-setup script",  # too short for a key
    "hf_hub_download(repo_id)",  # a Hugging Face function, not a token
    "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/fine-tuning",  # a plain URL
]


def _file(text: str) -> bytes:
    return with_padding(chat(("user", f"please look at {text} thanks"), ("assistant", "noted")))


@pytest.mark.parametrize(("text", "code", "kind"), SAMPLES, ids=[kind for _, _, kind in SAMPLES])
def test_each_kind_is_found_with_line_message_and_kind(text: str, code: str, kind: str) -> None:
    report = validate_bytes(_file(text))
    found = [(issue.line, issue.code, issue.message_index, issue.kind) for issue in report.warnings]
    assert (11, code, 1, kind) in found, report.to_dict()
    assert report.valid


@pytest.mark.parametrize("text", NOT_FOUND)
def test_lookalikes_are_not_reported(text: str) -> None:
    report = validate_bytes(_file(text))
    assert report.valid and not report.warning_counts, report.to_dict()


def _all_samples() -> bytes:
    return with_padding(*(chat(("user", text), ("assistant", f"and {text}")) for text, _, _ in SAMPLES))


@pytest.mark.parametrize("mode", ["warn", "error"])
def test_no_report_copies_the_matched_text(mode: str, tmp_path: Path) -> None:
    """Not in the report object's JSON, not in the human summary, not in the CLI's output."""
    report = validate_bytes(_all_samples(), data_scan=mode)
    issues = report.errors if mode == "error" else report.warnings
    assert len({issue.line for issue in issues}) == len(SAMPLES)
    path = tmp_path / "secrets.jsonl"
    path.write_bytes(_all_samples())
    outputs = [
        json.dumps(report.to_dict(), ensure_ascii=False),
        describe(report),
        *(
            subprocess.run(
                [sys.executable, "-m", "tuning", "validate", str(path), f"--data-scan={mode}", *extra],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            ).stdout
            for extra in ([], ["--json"])
        ),
    ]
    for text, _, _ in SAMPLES:
        secret = max(re.split(r"[\s;=:'/@]+", text), key=len)  # its most telling part
        for output in outputs:
            assert secret not in output, (secret, output[:200])


def test_error_mode_makes_them_errors_and_off_skips_the_scan() -> None:
    data = _file("jane.doe@example.org")
    assert validate_bytes(data).warning_counts == {"possible_pii": 1}
    as_error = validate_bytes(data, data_scan="error")
    assert as_error.error_counts == {"possible_pii": 1} and not as_error.valid
    off = validate_bytes(data, data_scan="off")
    assert off.valid and not off.warning_counts and off.data_scan == "off"


def test_every_detect_secrets_plugin_is_used_or_excluded_with_a_reason() -> None:
    classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
    plugins = {cls.__name__ for cls in classes}
    used = {type(detector).__name__ for detector in SECRET_DETECTORS}
    assert plugins == used | set(EXCLUDED_DETECTORS) and not used & set(EXCLUDED_DETECTORS)


@pytest.mark.parametrize("number", ["4111111111111111", "5500005555555559", "378282246310005"])
def test_luhn_accepts_test_card_numbers(number: str) -> None:
    assert luhn_valid(number) and not luhn_valid(number[:-1] + str((int(number[-1]) + 1) % 10))


@pytest.mark.parametrize("own", OWN_PATTERNS, ids=lambda own: own.kind)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_gate_lets_through_everything_a_check_confirms(own: TextPattern, data: st.DataObject) -> None:
    """RE2 sees a superset of what the Python checks confirm: a match the gate misses would be
    a secret the scan misses."""
    check = next(check for check in CHECKS if check.gate == f"(?:{own.pattern})")
    text = data.draw(st.from_regex(own.pattern, fullmatch=True))
    if check.confirm(text):
        assert CHECKS.index(check) in GATE.matches(text.encode())


@pytest.mark.parametrize(("text", "code", "kind"), SAMPLES, ids=[kind for _, _, kind in SAMPLES])
def test_the_gate_lets_every_sample_through(text: str, code: str, kind: str) -> None:
    assert GATE.matches(text.encode()) and (code, kind) in DataScanner("warn").kinds(text)
