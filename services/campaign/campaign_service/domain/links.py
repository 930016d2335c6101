"""Tracked links, the open pixel and the unsubscribe footer, added to a rendered message.

Every ``http(s)`` link of the text part and every ``<a href>`` of the HTML part is replaced by a
click-tracking URL whose token names the message and the link (:mod:`tokens`); the redirect
endpoint only ever sends people to a URL recorded for that message's variant under that link id,
so it cannot be used as an open redirect. Unsubscribe and survey links are left alone.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from campaign_service.domain.rendering import Rendered

_HREF = re.compile(r"(<a\b[^>]*?\bhref\s*=\s*)([\"'])(.*?)\2", re.IGNORECASE | re.DOTALL)
_TEXT_URL = re.compile(r"https?://[^\s<>\"'`{}|\\^\[\]]+", re.IGNORECASE)
_TRAILING = ".,;:!?)"
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_BODY_START = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
MAX_URL_CHARS = 2000


def link_id_for(url: str) -> str:
    """A stable 16-hex-digit id for a URL (the same link in every message of a variant)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


@dataclass
class Decorated:
    text: str
    html: str | None
    links: dict[str, str] = field(default_factory=dict)  # link_id -> url


@dataclass(frozen=True)
class PublicUrls:
    """The public URLs of one message (all carry its tokens)."""

    click: Callable[[str], str]  # link_id -> tracking URL
    pixel: str
    unsubscribe: str
    survey: str | None = None


def _untracked(url: str, base_url: str) -> bool:
    lowered = url.lower()
    if not lowered.startswith(("http://", "https://")) or len(url) > MAX_URL_CHARS:
        return True
    return url.startswith((f"{base_url}/unsubscribe/", f"{base_url}/f/", f"{base_url}/r/"))


def decorate(
    rendered: Rendered,
    urls: PublicUrls,
    *,
    base_url: str,
    add_unsubscribe_footer: bool,
    add_survey_link: bool,
    footer_note: str = "You receive this email because you agreed to hear from us.",
) -> Decorated:
    links: dict[str, str] = {}
    tracked: dict[str, str] = {}  # the same link in the text and HTML parts: one token

    def track(url: str) -> str:
        if url in tracked:
            return tracked[url]
        if _untracked(url, base_url):
            tracked[url] = url
            return url
        link_id = link_id_for(url)
        links[link_id] = url
        tracked[url] = urls.click(link_id)
        return tracked[url]

    def text_sub(match: re.Match) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING:
            url, tail = url[:-1], url[-1] + tail
        return track(url) + tail

    text = _TEXT_URL.sub(text_sub, rendered.text)
    if add_survey_link and urls.survey:
        text += f"\n\nShare your view: {urls.survey}\n"
    if add_unsubscribe_footer:
        text += f"\n\n--\n{footer_note}\nUnsubscribe: {urls.unsubscribe}\n"

    html = rendered.html
    if html is not None:

        def href_sub(match: re.Match) -> str:
            url = html_lib.unescape(match.group(3).strip())
            tracked = track(url)
            return f"{match.group(1)}{match.group(2)}{html_lib.escape(tracked)}{match.group(2)}"

        html = _HREF.sub(href_sub, html)
        if rendered.preheader:
            hidden = (
                '<div style="display:none;max-height:0;overflow:hidden;opacity:0">'
                f"{html_lib.escape(rendered.preheader)}</div>"
            )
            start = _BODY_START.search(html)
            html = html[: start.end()] + hidden + html[start.end() :] if start else hidden + html
        extra = ""
        if add_survey_link and urls.survey:
            extra += f'<p><a href="{html_lib.escape(urls.survey)}">Answer our short survey</a></p>'
        if add_unsubscribe_footer:
            extra += (
                '<p style="font-size:12px;color:#666">'
                f"{html_lib.escape(footer_note)} "
                f'<a href="{html_lib.escape(urls.unsubscribe)}">Unsubscribe</a></p>'
            )
        extra += (
            f'<img src="{html_lib.escape(urls.pixel)}" width="1" height="1" alt="" '
            'style="display:block;border:0;width:1px;height:1px">'
        )
        end = _BODY_END.search(html)
        html = html[: end.start()] + extra + html[end.start() :] if end else html + extra
    return Decorated(text=text, html=html, links=links)
