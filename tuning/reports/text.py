"""Escaping for the report formats: user and service text must render as text, never as markup.

Run names, smoke-test prompts, model answers and service error messages all reach report.md and
the SVG charts. In Markdown the punctuation that builds markup is backslash-escaped (CommonMark
allows it for any ASCII punctuation): `[x](url)`, `![img](url)`, `<tag>`, `&entity;`, `*emphasis*`,
code, strikethrough and table pipes become plain characters, `:` stops `scheme://` autolinks and
the dot of `www.` stops the other kind. GitHub still links an e-mail address whose `@` is
escaped, so an invisible word joiner follows every `@`. Other characters stay as they are, so
the raw file reads well too.
"""

from __future__ import annotations

import html
import re

__all__ = ["fenced", "md_text", "xml_text"]

# `_` stays as it is: rule codes and identifiers (invalid_json, ft_run_key) must read and grep as
# themselves, and an underscore can only ever make emphasis, never a link or markup.
_MARKUP = re.compile(r"""([\\`*{}\[\]()<>#!|~:&])""")
_WWW = re.compile(r"(?i)\b(www)\.")
_FENCE_RUN = re.compile(r"`{3,}|~{3,}")


def md_text(value: object) -> str:
    """Inline Markdown for a piece of text: punctuation escaped, line breaks as spaces."""
    text = " ".join(str(value).split())
    escaped = _WWW.sub(r"\1\\.", _MARKUP.sub(r"\\\1", text))
    return escaped.replace("@", "@\u2060")


def fenced(value: object) -> list[str]:
    """Text verbatim in a fenced block longer than any fence inside it, so it cannot close early."""
    body = "" if value is None else str(value)
    longest = max((len(run) for run in _FENCE_RUN.findall(body)), default=2)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", body, fence]


def xml_text(value: object) -> str:
    """XML-escaped text and attribute values (quotes included), for SVG."""
    return html.escape(str(value), quote=True)
