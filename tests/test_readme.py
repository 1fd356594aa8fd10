"""The README's tables are the documentation users read: they list every failure code, every
validation rule and every setting the code knows."""

from __future__ import annotations

import re

from local.processes import REPO
from tuning.failures import CODES

README = (REPO / "README.md").read_text()


def table_codes(heading: str) -> set[str]:
    section = README.split(heading, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.M))


def test_every_failure_code_is_in_the_failure_table() -> None:
    assert table_codes("### Failure codes") == set(CODES)


def test_every_setting_the_app_reads_is_in_the_settings_table() -> None:
    read = set(re.findall(r'\(env, "([A-Za-z_]+)"', (REPO / "tuning" / "settings.py").read_text()))
    section = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Za-z_]+)`", section))
    assert read - {"WEBSITE_HOSTNAME"} <= documented


def test_every_code_the_code_raises_is_in_the_vocabulary() -> None:
    """A code missing from CODES would only fail when raised; find them all in the source instead."""
    sources = [*REPO.glob("tuning/*.py"), *REPO.glob("orchestrators/*.py"), *REPO.glob("triggers/*.py")]
    raised = set()
    for source in sources:
        text = source.read_text()
        raised |= set(re.findall(r'PipelineError\(\s*"([a-z_]+)"', text))
        raised |= set(re.findall(r'code="([a-z_]+)"', text))
    assert raised and raised <= set(CODES), sorted(raised - set(CODES))


def test_every_validation_rule_is_in_the_rule_table() -> None:
    from tuning.validation.issues import ERROR_CODES, WARNING_CODES

    assert table_codes("### Validation rules") == set(ERROR_CODES) | set(WARNING_CODES)
