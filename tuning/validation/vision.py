"""Image rules for vision fine-tuning (Azure docs, how-to/fine-tuning-vision, "Image dataset
requirements"): images only for the models that fine-tune on them, each an http(s) URL or a
base64 data URL of a JPEG, PNG or WEBP picture of at most 10 MB, at most 64 in an example.

Structure (an image part is `{"type": "image_url", "image_url": {"url": ...}}` in a user
message) is checked by rules.py; these rules run only on examples that have images.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tuning.catalog import CATALOG
from tuning.validation.rules import Findings, Message

__all__ = ["IMAGE_FORMATS", "MAX_IMAGES_PER_EXAMPLE", "MAX_IMAGE_BYTES", "check_images"]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGES_PER_EXAMPLE = 64
IMAGE_FORMATS = ("jpeg", "png", "webp")
_DATA_URL = re.compile(r"data:image/(?P<format>[A-Za-z0-9.+-]+);base64,", re.IGNORECASE)
_WEB_URL = re.compile(r"https?://[^\s/]+", re.IGNORECASE)
_OTHER_EXTENSIONS = re.compile(r"\.(?:gif|bmp|tiff?|svg|heic|avif|ico)(?:[?#]|$)", re.IGNORECASE)


def check_images(messages: Sequence[Message], supports_images: bool, model: str, findings: Findings) -> None:
    """Errors for the images of one example (which has at least one)."""
    urls = [(index, url) for index, message in enumerate(messages) for url in _image_urls(message)]
    if not supports_images:
        able = ", ".join(name for name, spec in CATALOG.items() if spec.supports_images)
        findings.error(
            "images_not_supported",
            f"the example has images, but {model} does not fine-tune on images (models that do: {able})",
            urls[0][0],
        )
        return
    if len(urls) > MAX_IMAGES_PER_EXAMPLE:
        findings.error(
            "too_many_images",
            f"the example has {len(urls)} images; at most {MAX_IMAGES_PER_EXAMPLE} are accepted",
        )
    for index, url in urls:
        _check_url(index, url, findings)


def _image_urls(message: Message) -> list[str]:
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return [part["image_url"]["url"] for part in content if part.get("type") == "image_url"]


def _check_url(index: int, url: str, findings: Findings) -> None:
    data = _DATA_URL.match(url)
    if data is not None:
        kind = data.group("format").lower().replace("jpg", "jpeg")
        if kind not in IMAGE_FORMATS:
            findings.error(
                "invalid_image", f"message {index} has an image/{kind} data URL; use JPEG, PNG or WEBP", index
            )
        size = len(url) - data.end()
        decoded = size * 3 // 4 - url.count("=", len(url) - 2)
        if decoded > MAX_IMAGE_BYTES:
            findings.error(
                "image_too_large",
                f"message {index} has an image of {decoded:,} bytes; the limit is {MAX_IMAGE_BYTES:,}",
                index,
            )
    elif _WEB_URL.match(url) is None:
        findings.error(
            "invalid_image",
            f"message {index} has an image URL that is neither http(s) nor a base64 data URL",
            index,
        )
    elif _OTHER_EXTENSIONS.search(url) is not None:
        findings.error(
            "invalid_image", f"message {index} links an image that is not JPEG, PNG or WEBP", index
        )
