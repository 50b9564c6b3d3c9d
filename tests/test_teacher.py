"""The teacher's rules (passcode, loopback, join address, nicknames) and the class state."""

import random

import numpy as np
import pytest

from hwr.class_data.collection import NO_CLASS, ClassCollection
from hwr.class_data.wall import ClassFullError
from hwr.class_data.rate_limits import TryLimiter
from hwr.class_data.nickname_words import NICKNAME_WORDS
from hwr.class_data.teacher import (
    NICKNAME_MAX,
    clean_nickname,
    generated_nickname,
    is_generated_nickname,
    is_local_browser,
    join_code,
    join_url,
    passcode_matches,
    with_nickname,
)


@pytest.mark.parametrize("given", ["", "wrong", "secret ", "SECRET", "x" * 100_000, "秘密",
                                   "\x00secret", "secret\ud800"])
def test_wrong_passcodes_are_refused(given):
    assert not passcode_matches(given, "secret")


def test_the_right_passcode_opens_and_none_configured_opens_nothing():
    assert passcode_matches("secret", "secret")
    assert passcode_matches("Grüße 7B", "Grüße 7B")
    assert not passcode_matches("", "")
    assert not passcode_matches(None, "secret")


def test_tries_are_limited_per_minute():
    now = [0.0]
    limiter = TryLimiter(3, window=60, clock=lambda: now[0])
    assert [limiter.allow() for _ in range(4)] == [True, True, True, False]
    assert limiter.wait_seconds() == 60
    now[0] = 59.0
    assert not limiter.allow()
    now[0] = 60.5
    assert limiter.allow()


@pytest.mark.parametrize("ip, host, public, local", [
    (None, "localhost:8501", None, True),
    ("127.0.0.1", "127.0.0.1:8501", None, True),
    ("::1", "[::1]:8501", None, True),
    (None, "localhost", None, True),
    ("10.1.2.3", "localhost:8501", None, False),  # another machine
    ("192.168.1.20", "192.168.1.5:8501", None, False),
    (None, "hwr.school.example:443", None, False),  # a proxy on this machine
    (None, "localhost:8501", "https://hwr.school.example", False),  # behind a proxy
    (None, None, None, False),  # no headers at all: not provably local
    ("not an ip", "localhost", None, False),
])
def test_only_a_browser_on_the_server_machine_is_local(ip, host, public, local):
    assert is_local_browser(ip, host, public) is local


def test_join_address_replaces_localhost_with_the_network_address():
    assert join_url("http://localhost:8501/class", None, "192.168.1.5") == \
        "http://192.168.1.5:8501/"
    assert join_url("http://127.0.0.1:8501/", None, "10.0.0.7") == "http://10.0.0.7:8501/"
    assert join_url("http://192.168.1.5:8501/teach", None, "10.0.0.7") == \
        "http://192.168.1.5:8501/"
    assert join_url("http://localhost:8501/", "https://hwr.school.example/app",
                    "10.0.0.7") == "https://hwr.school.example/app/"
    assert join_url(None, None, None) == "http://localhost:8501/"


def test_qr_code_decodes_to_the_join_address():
    zxingcpp = pytest.importorskip("zxingcpp")
    import io

    import segno
    from PIL import Image

    url = "http://192.168.1.5:8501/"
    svg, modules = join_code(url)
    assert svg.startswith("<svg") and 'width="' not in svg.split(">")[0]  # its box sizes it
    assert modules == 25 + 2 * 4  # version 2 with its quiet zone
    assert join_code("http://x/" + "a" * 3000) is None  # no QR code holds it
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=8, border=4)
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(buf.getvalue())))
    assert [d.text for d in decoded] == [url]


@pytest.mark.parametrize("raw, clean", [
    ("Ana", "Ana"),
    ("  Ana   B  ", "Ana B"),
    ("a" * 10_000, "a" * NICKNAME_MAX),
    ("Ana\x00\x07\u202e\u200b", "Ana"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"[:NICKNAME_MAX]),
    (None, ""),
    ("\n\t", ""),
])
def test_nicknames_are_cleaned_and_cut(raw, clean):
    assert clean_nickname(raw) == clean


def test_nickname_travels_in_the_address():
    assert with_nickname("http://h:1/", "Ana B&C") == "http://h:1/?name=Ana%20B%26C"
    assert with_nickname("http://h:1/", "") == "http://h:1/"


@pytest.mark.parametrize("lang, name", [("en", "Quick Otter"), ("de", "Flinker Fuchs"),
                                        ("fr", "Renard Rapide"), ("es", "Zorro Veloz")])
def test_a_generated_nickname_is_made_in_the_pages_language(lang, name):
    words = NICKNAME_WORDS[lang]
    made = {generated_nickname(lang, rng=random.Random(seed)) for seed in range(200)}
    assert all(words.is_nickname(n) for n in made) and len(made) > 100
    assert is_generated_nickname(name) and words.is_nickname(name)


def test_a_generated_nickname_of_any_language_counts_as_generated():
    rng = random.Random(7)
    for lang in NICKNAME_WORDS:
        assert is_generated_nickname(generated_nickname(lang, rng=rng))
    assert generated_nickname() in {f"{a} {b}" for a in NICKNAME_WORDS["en"].adjectives
                                    for b in NICKNAME_WORDS["en"].animals}
    assert NICKNAME_WORDS["en"].is_nickname(generated_nickname("xx", rng=rng))  # English


@pytest.mark.parametrize("name", [
    "", None, "Ana", "Quick", "Quick Otter Ana", "Quick  Otter", "quick otter",
    "Otter Quick",  # English order only
    "Fuchs Flinker", "Rapide Renard", "Veloz Zorro",  # each language's own order
    "Quick Fuchs", "Flinker Heron", "Renard Veloz", "Zorro Rapide",  # no mixing
    " Quick Otter", "Quick Otter ",
])
def test_anything_else_is_not_a_generated_nickname(name):
    assert not is_generated_nickname(name)


@pytest.mark.parametrize("lang", sorted(NICKNAME_WORDS))
def test_every_language_has_its_own_nickname_words_that_fit(lang):
    """~30 adjectives and 30 animals, one word each, no repeats, and the longest pair
    kept whole by clean_nickname (so "generated nicknames only" accepts it back)."""
    from hwr.translation import LANGUAGES

    assert set(NICKNAME_WORDS) == set(LANGUAGES)
    words = NICKNAME_WORDS[lang]
    for kind in (words.adjectives, words.animals):
        assert len(kind) == len(set(kind)) >= 30
        assert all(w and " " not in w and w == w.strip() and w[0].isupper() for w in kind)
    longest = words.nickname(max(words.adjectives, key=len), max(words.animals, key=len))
    assert clean_nickname(longest) == longest and len(longest) <= NICKNAME_MAX
    if lang != "en":  # its own words, not English ones
        assert len(set(words.adjectives) & set(NICKNAME_WORDS["en"].adjectives)) <= 1


def image(value: float = 1.0) -> np.ndarray:
    out = np.zeros((28, 28), np.float32)
    out[5:20, 10:14] = value
    return out


def test_classes_start_end_and_reopen(db_url):
    db = ClassCollection(db_url)
    assert db.current_class() is None
    a = db.start_class("7B, 25 Nov")
    assert db.current_class() == a and a.running
    b = db.start_class("  8A  ")
    assert db.current_class().id == b.id and db.current_class().name == "8A"
    assert [c.id for c in db.classes()] == [b.id, a.id]
    assert not db.classes()[1].running  # starting 8A ended 7B
    db.end_class()
    assert db.current_class() is None
    db.reopen_class(a.id)
    assert db.current_class().id == a.id


def test_samples_belong_to_their_class(db_url):
    db = ClassCollection(db_url)
    probs = np.eye(10)[3]
    db.add(image(), 3, probs)  # before any class
    lesson = db.start_class("7B")
    db.add(image(), 3, probs, class_id=lesson.id)
    db.add(image(), 5, probs, class_id=lesson.id)
    assert db.count() == 3 and db.count(lesson.id) == 2 and db.count(NO_CLASS) == 1
    assert list(db.samples(lesson.id).labels) == [3, 5]
    assert db.delete_all(lesson.id) == 2
    assert db.count() == 1


def test_the_wall_keeps_the_latest_state_of_each_drawing(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    db.post_drawing(lesson.id, "s1", 1, "Ana", 1, False, 0.6, image(0.5))
    db.post_drawing(lesson.id, "s2", 1, "", 8, False, 0.9, image())
    db.post_drawing(lesson.id, "s1", 1, "Ana", 4, False, 0.99, image())  # second stroke
    wall = db.wall(lesson.id)
    assert [(w.student, w.predicted) for w in wall] == [("s2", 8), ("s1", 4)]
    assert wall[1].image.dtype == np.uint8 and wall[1].image.max() == 255
    db.label_drawing(lesson.id, "s1", 1, 4)
    db.label_drawing(lesson.id, "s2", 1, 0)
    db.post_drawing(lesson.id, "s3", 1, "", 3, True, 0.4, image())
    stats = db.wall_stats(lesson.id)
    assert stats.drawings == 3 and stats.students_active == 3
    assert stats.labelled == 2 and stats.accuracy == 0.5
    assert stats.confusion == (0, 8, 1)
    assert db.wall(lesson.id)[0].not_a_digit


def test_a_full_class_refuses_new_drawings_but_updates_old_ones(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    db.post_drawing(lesson.id, "s1", 1, "", 1, False, 0.6, image(), limit=2)
    db.post_drawing(lesson.id, "s1", 2, "", 2, False, 0.6, image(), limit=2)
    with pytest.raises(ClassFullError):
        db.post_drawing(lesson.id, "s1", 3, "", 3, False, 0.6, image(), limit=2)
    db.post_drawing(lesson.id, "s1", 2, "", 7, False, 0.6, image(), limit=2)
    assert [w.predicted for w in db.wall(lesson.id)] == [7, 1]


def test_walls_are_per_class(db_url):
    db = ClassCollection(db_url)
    a = db.start_class("7B")
    db.post_drawing(a.id, "s1", 1, "", 1, False, 0.6, image())
    b = db.start_class("8A")
    assert db.wall(b.id) == [] and len(db.wall(a.id)) == 1
