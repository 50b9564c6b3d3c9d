"""Who is the teacher, and how students join: the rules, apart from any page.

In a classroom everyone opens the same link, so the controls that change the class's
state (delete, export, start or end a class, the wall's settings) belong to one person.
With a passcode configured, a session becomes the teacher's by entering it; without
one, only a browser on the machine that runs the server is the teacher's. Streamlit
itself is not involved here, so every rule is tested without a server.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import unicodedata
from urllib.parse import quote, urlsplit

from hwr.class_data.nickname_words import NICKNAME_WORDS

NICKNAME_MAX = 24
MAX_PASSCODE_BYTES = 1024  # longer input is refused without hashing it
TRIES_PER_MINUTE = 5  # per session
TRIES_PER_MINUTE_ALL = 30  # all sessions together: a new tab per try gains nothing
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def passcode_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of digests, so neither length nor content leaks."""
    if not expected or not isinstance(given, str):
        return False
    raw = given.encode("utf-8", "surrogatepass")
    if not raw or len(raw) > MAX_PASSCODE_BYTES:
        return False
    return hmac.compare_digest(hashlib.sha256(raw).digest(),
                               hashlib.sha256(expected.encode("utf-8")).digest())


def host_name(host_header: str | None) -> str | None:
    """'localhost:8501' -> 'localhost'; '[::1]:8501' -> '::1'."""
    if not host_header:
        return None
    return urlsplit(f"//{host_header.strip()}").hostname


def is_loopback(ip: str | None) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def is_local_browser(ip: str | None, host_header: str | None, public_url: str | None) -> bool:
    """The browser runs on the server's own machine: a loopback connection *and* a
    loopback address in the browser's address bar. Behind a proxy every visitor
    arrives from loopback, so a configured public address turns the rule off, and so
    does a Host header that names anything but this machine."""
    if public_url:
        return False
    return (ip is None or is_loopback(ip)) and host_name(host_header) in LOCAL_HOSTS


def join_url(browser_url: str | None, public_url: str | None, network_ip: str | None) -> str:
    """The address students can open.

    ``HWR_PUBLIC_URL`` when set (a proxy, a hosting service); else the teacher's own
    address, with ``localhost`` replaced by this machine's network address."""
    if public_url:
        return public_url.rstrip("/") + "/"
    parts = urlsplit(browser_url or "http://localhost:8501/")
    host = parts.hostname or "localhost"
    if host in LOCAL_HOSTS or is_loopback(host):
        host = network_ip or host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'http'}://{host}{port}/"


def join_code(url: str) -> tuple[str, int] | None:
    """The address as a QR code (segno) that scales to its box: an SVG with a viewBox and
    no size of its own (style.css sizes ``.hwr-qr``; a fixed 370 px code in a 300 px box
    was cut off and did not scan), dark on white with its 4-module quiet zone; and its
    width in modules. None for an address too long for any QR code."""
    import segno

    try:
        code = segno.make(url, error="m")
    except segno.DataOverflowError:
        return None
    svg = code.svg_inline(scale=1, dark="#000", light="#fff", border=4, omitsize=True)
    return svg, code.symbol_size(scale=1, border=4)[0]


def with_nickname(url: str, nickname: str) -> str:
    return f"{url}?name={quote(nickname)}" if nickname else url


_SPACES = re.compile(r"\s+")


def clean_nickname(text: str | None) -> str:
    """A student's nickname: control and format characters removed, spaces collapsed,
    at most NICKNAME_MAX characters. It is still shown only escaped."""
    if not text:
        return ""
    text = str(text)[: NICKNAME_MAX * 8]
    kept = "".join(c for c in text if not unicodedata.category(c).startswith("C"))
    return _SPACES.sub(" ", kept).strip()[:NICKNAME_MAX].strip()


# Friendly generated nicknames ("Quick Otter", "Flinker Fuchs"): a student needs to type
# nothing, and a class can be held to these (a class setting), so no real name reaches
# the wall. Each language has its own words (hwr.class_data.nickname_words).
NAME_ADJECTIVES = NICKNAME_WORDS["en"].adjectives
NAME_ANIMALS = NICKNAME_WORDS["en"].animals


def generated_nickname(lang: str = "en", rng=None) -> str:
    """A friendly two-word nickname in ``lang`` (English for a language without its own
    words), e.g. "Quick Otter", "Renard Rapide" (900 of them in each language)."""
    import secrets

    choice = rng.choice if rng is not None else secrets.choice
    words = NICKNAME_WORDS.get(lang, NICKNAME_WORDS["en"])
    return words.nickname(choice(words.adjectives), choice(words.animals))


def is_generated_nickname(name: str | None) -> bool:
    """One of the generated nicknames, in any language (a class on "generated nicknames
    only" takes these and nothing typed; its students may read different languages)."""
    return any(words.is_nickname(name or "") for words in NICKNAME_WORDS.values())
