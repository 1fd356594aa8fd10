"""Secrets and personal data in the text of examples: `possible_secret` and `possible_pii`.

Secrets in training data leak through the model, and Azure's content filtering can block a
deployment built from data heavy with personal data. What is looked for:

- credentials of the common providers by their token formats, with Yelp's detect-secrets
  (its regex detectors only, see SECRET_DETECTORS: AWS, Azure Storage, GitHub, GitLab, Slack,
  Stripe, OpenAI, SendGrid, Twilio, JWTs, private keys, URLs with a password, ...); its
  verification, which calls the providers over the network, is never used;
- keys of providers detect-secrets 1.5 does not know, by their documented prefixes (Google API
  keys and OAuth client secrets, OpenAI project, service-account and admin keys without the
  legacy `T3BlbkFJ` marker, Anthropic keys, Hugging Face tokens);
- high-entropy values in key-like contexts (`api_key=...`, `token: ...`, `Bearer ...`), entropy
  by detect-secrets' own measure, and connection strings and SAS URLs that carry a key;
- e-mail addresses, phone numbers (international `+...` or North-American 3-3-4 digits),
  payment card numbers that pass the Luhn check, IBANs whose check digits are valid.

A finding names the message and the kind of secret or datum, never the matched text.

Speed: almost no text holds any of these, so one pass of an RE2 set (linear-time automata,
hundreds of megabytes a second) over all the text of an example decides whether anything needs
a closer look (checking.py runs it, with the special tokens in the same set); only then do the
checks whose patterns matched run in Python's regex engine, string by string.
RE2 lacks look-arounds, so the gate drops them from detect-secrets' patterns (matching more, never
less); our own patterns use only ASCII classes, with the same meaning in both engines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

# google-re2 ships no type information; the gate below is its only use.
import re2  # type: ignore[import-untyped]
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from tuning.validation.rules import Findings, Message
from tuning.validation.texts import message_strings

__all__ = [
    "CHECKS",
    "DATA_SCAN_MODES",
    "EXCLUDED_DETECTORS",
    "OWN_PATTERNS",
    "SECRET_DETECTORS",
    "DataScan",
    "DataScanner",
    "TextGate",
    "TextPattern",
    "luhn_valid",
]

DataScan = Literal["off", "warn", "error"]
DATA_SCAN_MODES: tuple[DataScan, ...] = ("off", "warn", "error")
SECRET, PII = "possible_secret", "possible_pii"

SECRET_DETECTORS: tuple[RegexBasedDetector, ...] = (
    ArtifactoryDetector(),
    AWSKeyDetector(),
    AzureStorageKeyDetector(),
    BasicAuthDetector(),
    DiscordBotTokenDetector(),
    GitHubTokenDetector(),
    GitLabTokenDetector(),
    JwtTokenDetector(),
    MailchimpDetector(),
    NpmDetector(),
    OpenAIDetector(),
    PrivateKeyDetector(),
    PypiTokenDetector(),
    SendGridDetector(),
    SlackDetector(),
    SquareOAuthDetector(),
    StripeDetector(),
    TelegramBotTokenDetector(),
    TwilioKeyDetector(),
)
# detect-secrets plugins not used, and why (a test keeps this list and the plugins in step).
EXCLUDED_DETECTORS = {
    "KeywordDetector": "source-code assignments; the key-like-context check below covers prose",
    "Base64HighEntropyString": "any quoted string of code; entropy is measured in key-like contexts only",
    "HexHighEntropyString": "any quoted string of code; entropy is measured in key-like contexts only",
    "IPPublicDetector": "an IP address is not a credential",
    "CloudantDetector": "keyword assignments of code, covered by the key-like-context check",
    "IbmCloudIamDetector": "keyword assignments of code, covered by the key-like-context check",
    "IbmCosHmacDetector": "keyword assignments of code, covered by the key-like-context check",
    "SoftlayerDetector": "keyword assignments of code, covered by the key-like-context check",
}

# Shannon entropy (bits per character, detect-secrets' measure over the base64 alphabet) from
# which a value of 16+ characters, letters and digits, after a key-like word reads as random.
KEY_VALUE_MIN_ENTROPY = 3.0
_ENTROPY = Base64HighEntropyString(limit=KEY_VALUE_MIN_ENTROPY)
_LOOKAROUND = re.compile(r"\(\?<?[=!](?:[^()\\]|\\.)*\)")
_LONG_REPEAT = re.compile(r"\{(\d+),(\d{4,})\}")  # RE2 counts repetitions up to 1000


@dataclass(frozen=True)
class TextPattern:
    """One of our own detectors: a pattern and a check of each match (the match is not kept)."""

    code: str
    kind: str
    pattern: str
    accept: Callable[[re.Match[str]], bool] = lambda match: True

    def found(self, text: str) -> bool:
        return any(self.accept(match) for match in re.finditer(self.pattern, text))


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of payment card numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card(match: re.Match[str]) -> bool:
    digits = re.sub("[^0-9]", "", match.group())
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits)


def _iban(match: re.Match[str]) -> bool:
    compact = match.group().replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    return 15 <= len(compact) <= 34 and int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _phone(match: re.Match[str]) -> bool:
    return 8 <= len(re.sub("[^0-9]", "", match.group())) <= 15


def _no_legacy_marker(match: re.Match[str]) -> bool:
    """detect-secrets' OpenAIDetector names keys that carry the marker; this check the others."""
    return "T3BlbkFJ" not in match.group()


def _random_value(match: re.Match[str]) -> bool:
    value = match.group(1)
    return (
        any(char.isdigit() for char in value)
        and any(char.isalpha() for char in value)
        and _ENTROPY.calculate_shannon_entropy(value) >= KEY_VALUE_MIN_ENTROPY
    )


_KEY_WORDS = (
    r"api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|access[_-]?key|private[_-]?key|"
    r"client[_-]?secret|authorization|bearer"
)
OWN_PATTERNS = (
    TextPattern(SECRET, "Google API Key", r"\bAIza[0-9A-Za-z_-]{35}"),
    TextPattern(SECRET, "Google OAuth Client Secret", r"\bGOCSPX-[0-9A-Za-z_-]{28}"),
    TextPattern(
        SECRET, "OpenAI API Key", r"\bsk-(?:proj|svcacct|admin)-[0-9A-Za-z_-]{20,}", _no_legacy_marker
    ),
    TextPattern(SECRET, "Anthropic API Key", r"\bsk-ant-[a-z]{3,5}[0-9]{2}-[0-9A-Za-z_-]{20,}"),
    TextPattern(SECRET, "Hugging Face Token", r"\bhf_[A-Za-z]{34}\b"),
    TextPattern(
        SECRET,
        "High-entropy value in a key-like context",
        rf"(?i:{_KEY_WORDS})[\"']?[ \t]*(?:[:=]|=>)?[ \t]*[\"']?([A-Za-z0-9+/_.=~-]{{16,}})",
        _random_value,
    ),
    TextPattern(
        SECRET,
        "Connection string with a key",
        r"(?i:AccountKey|SharedAccessKey|Password|Pwd)=[^;\"' \t\r\n]{8,};",
    ),
    TextPattern(SECRET, "Shared access signature", r"[?&]sig=[A-Za-z0-9%+/=]{20,}"),
    TextPattern(PII, "e-mail address", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    TextPattern(PII, "phone number", r"\+[0-9]{1,3}(?:[ .-]?\(?[0-9]{1,4}\)?){2,5}\b", _phone),
    TextPattern(PII, "phone number", r"\b\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}\b", _phone),
    TextPattern(PII, "payment card number", r"\b[0-9](?:[ -]?[0-9]){12,18}\b", _card),
    TextPattern(PII, "IBAN", r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b", _iban),
)


def _re2_syntax(regex: re.Pattern[str]) -> str:
    """A detect-secrets pattern for the RE2 gate: look-arounds dropped, repetitions above RE2's
    bound left open, case flag inlined."""
    pattern = _LONG_REPEAT.sub(r"{\1,}", _LOOKAROUND.sub("", regex.pattern))
    return f"(?i:{pattern})" if regex.flags & re.IGNORECASE else f"(?:{pattern})"


@dataclass(frozen=True)
class _Check:
    """One RE2 pattern of the gate and how a match is confirmed (by detect-secrets or our own
    pattern, in Python's engine, with the look-arounds and checksums RE2 cannot do)."""

    code: str
    kind: str
    gate: str
    confirm: Callable[[str], bool]


def _detects(detector: RegexBasedDetector, text: str) -> bool:
    return any(True for _ in detector.analyze_string(text))


CHECKS = (
    *(
        _Check(SECRET, detector.secret_type, _re2_syntax(regex), partial(_detects, detector))
        for detector in SECRET_DETECTORS
        for regex in detector.denylist
    ),
    *(_Check(own.code, own.kind, f"(?:{own.pattern})", own.found) for own in OWN_PATTERNS),
)


class TextGate:
    """A set of RE2 patterns matched in one pass over UTF-8 text: which of them occur."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._set = re2.Set.SearchSet()
        for pattern in patterns:
            self._set.Add(pattern.encode())
        self._set.Compile()

    def matches(self, data: bytes) -> list[int]:
        """The indexes of the patterns found in `data`, in order."""
        return sorted(self._set.Match(data) or ())


class DataScanner:
    """Scans the text of examples; `mode` decides whether findings are warnings or errors."""

    def __init__(self, mode: DataScan) -> None:
        self.mode = mode
        self._gate = TextGate([check.gate for check in CHECKS])

    def kinds(self, text: str) -> list[tuple[str, str]]:
        """(code, kind) of everything found in `text`; never the matched text itself. Only the
        checks whose gate pattern matched run."""
        checks = [CHECKS[index] for index in self._gate.matches(text.encode())]
        return list(dict.fromkeys((check.code, check.kind) for check in checks if check.confirm(text)))

    def check(self, messages: Sequence[Message], findings: Findings) -> None:
        """Adds a finding per message and kind found (after the gate matched the example)."""
        add = findings.error if self.mode == "error" else findings.warn
        for index, message in enumerate(messages):
            kinds = dict.fromkeys(kind for text in message_strings(message) for kind in self.kinds(text))
            for code, kind in kinds:
                what = "a secret" if code == SECRET else "personal data"
                add(
                    code,
                    f"message {index} may hold {what} ({kind}); the text is not copied here",
                    index,
                    kind,
                )
