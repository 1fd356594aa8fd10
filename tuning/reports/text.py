"""Escaping for the report formats: user and service text must render as text, never as markup.

Run names, smoke-test prompts, model answers and service error messages all reach report.md and
the SVG charts. In Markdown every ASCII punctuation character is backslash-escaped (CommonMark
allows it for all of them), which leaves the text readable but turns `[x](url)`, `![img](url)`,
`<tag>`, `http://...`, `www....`, emphasis and table pipes into plain characters.
"""

from __future__ import annotations

import html
import re

__all__ = ["fenced", "md_text", "xml_text"]

_MARKDOWN_PUNCTUATION = re.compile(r"""([!-/:-@\[-`{-~])""")
_FENCE_RUN = re.compile(r"`{3,}|~{3,}")


def md_text(value: object) -> str:
    """Inline Markdown for a piece of text: punctuation escaped, line breaks as spaces."""
    text = " ".join(str(value).split())
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def fenced(value: object) -> list[str]:
    """Text verbatim in a fenced block longer than any fence inside it, so it cannot close early."""
    body = "" if value is None else str(value)
    longest = max((len(run) for run in _FENCE_RUN.findall(body)), default=2)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", body, fence]


def xml_text(value: object) -> str:
    """XML-escaped text and attribute values (quotes included), for SVG."""
    return html.escape(str(value), quote=True)
