"""The teacher and the students in real browsers, against a server with a passcode set."""

import io
import re
import time
from urllib.parse import quote

import numpy as np

import pytest
from playwright.sync_api import expect

from hwr.class_data.teacher import clean_nickname
from tests.support.browser import (
    canvas_selector,
    clear_canvas,
    draw_strokes,
    expect_run_finished,
    streamlit_server,
)
from tests.support.classes import end_any_class
from tests.support.strokes import DIGITS, PLACEMENTS, place

PASSCODE = "7B-secret"
KEY = "canvas-digit"
TEACHER_CONTROLS = ["Start the class", "End the class", "Reopen", "Delete them",
                    "Download .npz", "Download IDX files (zip)"]
ZEROS = np.zeros((28, 28), np.float32)
HOSTILE = ["<svg onload=hwrXss=1>", "<img src=x onerror=hwrXss=2>", "<script>hwrXss=3</script>"]


DB = {}  # the module's class database


@pytest.fixture(scope="module")
def class_url(mnist_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("teach") / "class.sqlite3"
    DB["path"] = db
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db),
                               "HWR_TEACHER_PASSCODE": PASSCODE},
                          model_ready=True, preloaded=True) as url:
        yield url


def new_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def visible_controls(page) -> list[str]:
    return [name for name in TEACHER_CONTROLS
            if page.get_by_role("button", name=name).count()]


def test_a_student_sees_no_teacher_control_on_any_page(browser, class_url):
    page = new_page(browser, class_url)
    page.wait_for_selector(canvas_selector(KEY))
    for path in ("draw", "evaluation", "class", "teach"):
        page.goto(f"{class_url}/{path}")
        page.wait_for_selector("h1")
        page.wait_for_load_state("networkidle")
        expect_run_finished(page)  # the page is all there: no control comes later
        assert visible_controls(page) == [], path
        text = page.locator("body").inner_text()
        assert ".sqlite3" not in text and "/root" not in text and "Traceback" not in text
    assert page.get_by_label("Teacher's passcode").count() == 1
    page.context.close()


def unlock_and_start(page, name: str) -> None:
    end_any_class(DB["path"])  # a rerun starts with no class, as the first try did
    page.get_by_label("Teacher's passcode").fill(PASSCODE)
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("button", name="Start the class").wait_for()
    page.get_by_label("Class name").fill(name)
    page.get_by_role("button", name="Start the class").click()
    page.get_by_role("button", name="End the class").wait_for()


def test_the_wall_shows_a_students_drawing_as_text_safe_tiles(browser, class_url, artifacts):
    teacher = new_page(browser, f"{class_url}/teach")
    page_errors = []
    teacher.on("pageerror", lambda e: page_errors.append(str(e)))
    teacher.get_by_label("Teacher's passcode").fill("wrong")
    teacher.get_by_role("button", name="Unlock").click()
    teacher.get_by_text("That is not the passcode.").wait_for()
    assert visible_controls(teacher) == []
    unlock_and_start(teacher, "7B, 25 Nov")
    expect(teacher.locator(".hwr-qr svg")).to_have_count(1)  # drawn in the same run
    expect(teacher.locator(".hwr-join-url")).to_have_text(re.compile(r"^http://"))

    for n, raw in enumerate(HOSTILE):
        nickname = clean_nickname(raw)  # cut to 24 characters
        student = new_page(browser, f"{class_url}/?name={quote(raw)}")
        student.wait_for_selector(canvas_selector(KEY))
        student.get_by_text("Your drawings appear on the class wall").wait_for()
        digit = (7, 4, 3)[n]
        strokes = place(DIGITS[digit][0], *PLACEMENTS[0])
        draw_strokes(student, KEY, strokes)
        tile = teacher.locator(".hwr-wall-tile", has_text=nickname)
        tile.wait_for(timeout=30_000)  # the wall refreshes itself (delay: benchmarks/wall_delay)
        assert tile.locator(".hwr-nickname").inner_text() == nickname  # shown as text
        # the wall follows the drawing: a 4's first stroke alone may show as another digit
        expect(tile.locator("b")).to_have_text(str(digit), timeout=30_000)
        clear_canvas(student)
        student.context.close()
    teacher.screenshot(path=artifacts / "teach-wall.png", full_page=True)
    assert teacher.evaluate("window.hwrXss === undefined")
    assert teacher.locator(".hwr-wall img[src='x']").count() == 0
    assert not page_errors

    teacher.get_by_role("button", name="End the class").click()
    teacher.get_by_role("button", name="Yes, end the class").click()  # asked first
    teacher.get_by_role("button", name="Start the class").wait_for()
    teacher.context.close()


# --- issue 38: a first lesson from the Teach page, and its projector view ---------------

CONTROLS = ("button", "switch", "checkbox", "textbox", "spinbutton", "combobox", "radio",
            "slider")


def decoded(locator) -> list[str]:
    """What zxing-cpp reads in a screenshot of the element (the QR code's box)."""
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(locator.screenshot()))
    return [found.text for found in zxingcpp.read_barcodes(image)]


def assert_qr_fits_and_scans(page, address: str, where: str) -> None:
    box = page.locator(".hwr-qr").bounding_box()
    code = page.locator(".hwr-qr svg").bounding_box()
    assert box["width"] >= 250, where
    for edge in ("x", "y"):  # the code inside its box, nothing cut off
        assert code[edge] >= box[edge] - 0.5, where
    assert code["x"] + code["width"] <= box["x"] + box["width"] + 0.5, where
    assert code["y"] + code["height"] <= box["y"] + box["height"] + 0.5, where
    assert abs(code["width"] - box["width"]) <= 1 and abs(code["height"] - code["width"]) <= 1
    assert decoded(page.locator(".hwr-qr")) == [address], where


def visible_controls_in(page) -> list[str]:
    main = page.locator('[data-testid="stMain"]')
    return [f"{role}: {el.inner_text() or el.get_attribute('aria-label')}"
            for role in CONTROLS for el in main.get_by_role(role).all() if el.is_visible()]


def test_a_first_lesson_on_the_teach_page_and_its_projector_view(browser, class_url,
                                                                 artifacts):
    from hwr.class_data.collection import ClassCollection

    teacher = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    teacher.set_default_timeout(60_000)
    teacher.goto(f"{class_url}/teach")
    errors = []
    teacher.on("pageerror", lambda e: errors.append(str(e)))
    unlock_and_start(teacher, "8A, first lesson")
    db = ClassCollection(DB["path"])
    lesson = db.current_class()
    for n, name in enumerate(("Ana", "Ben", "Hidden Hugo")):
        db.post_drawing(lesson.id, f"s{n}", 1, name, 7, False, 0.9, ZEROS)
    db.hide_drawing(lesson.id, next(w.id for w in db.wall(lesson.id)
                                    if w.nickname == "Hidden Hugo"))
    address = teacher.locator(".hwr-join-url").inner_text()
    assert_qr_fits_and_scans(teacher, address, "the teacher's join code")

    # a setting changes only from its own switch: a tap on its help changes nothing
    approve = teacher.get_by_role("switch", name="Approve drawings first")
    column = teacher.locator('[data-testid="stColumn"]', has=approve).last
    helps = column.locator('[data-testid="stTooltipIcon"], [data-testid="stCaptionContainer"]')
    helps.first.click()
    time.sleep(1.5)
    expect(approve).not_to_be_checked()
    assert not db.settings(lesson.id).approve_first
    approve.click(force=True)  # (the input itself is visually hidden inside its label)
    expect(approve).to_be_checked()
    # another teacher tab shows what the database holds, without being touched
    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    other.set_default_timeout(60_000)
    other.goto(f"{class_url}/teach")
    other.get_by_label("Teacher's passcode").fill(PASSCODE)
    other.get_by_role("button", name="Unlock").click()
    other_approve = other.get_by_role("switch", name="Approve drawings first")
    expect(other_approve).to_be_checked()
    approve.click(force=True)
    expect(approve).not_to_be_checked()
    expect(other_approve).not_to_be_checked(timeout=6_000)
    assert not db.settings(lesson.id).approve_first
    other.context.close()

    # Enter in the seconds box starts no round; the Start button does
    seconds = teacher.get_by_label("Seconds (5 to 600)")
    seconds.fill("45")
    seconds.press("Enter")
    time.sleep(2)
    assert db.current_round(lesson.id) is None
    expect(teacher.locator(".hwr-round-status")).to_have_count(0)
    teacher.get_by_role("button", name="Start the round").click()
    expect(teacher.locator(".hwr-round-status")).to_contain_text("Everyone draw a 7")
    assert db.current_round(lesson.id).seconds == 45

    # the projector view: a new tab, no passcode, what the class sees and no control
    link = teacher.get_by_role("link", name="Projector view")
    href = link.get_attribute("href")
    assert href.startswith("?view=projector&key=") and link.get_attribute("target") == "_blank"
    wall = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    wall.set_default_timeout(60_000)
    wall.goto(f"{class_url}/teach{href}")
    tile = wall.locator(".hwr-wall-tile").first
    tile.wait_for()
    expect(wall.locator(".hwr-round-status")).to_contain_text("Everyone draw a 7")
    time.sleep(1.5)  # a refresh or two: nothing more comes
    wall.screenshot(path=artifacts / "teach-projector-1920.png")
    assert visible_controls_in(wall) == []
    assert wall.locator(".hwr-wall-actions").count() == 0
    names = wall.locator(".hwr-nickname").all_inner_texts()
    assert sorted(names) == ["Ana", "Ben"]  # never a hidden drawing
    wall_top = wall.locator(".hwr-wall").bounding_box()["y"]
    assert wall_top < 1080 - 150, wall_top  # the first row of drawings on the first screen
    font = wall.evaluate("""() => {
        const s = getComputedStyle(document.querySelector('.hwr-nickname'));
        const [r, g, b] = s.color.match(/\\d+/g).map(Number);
        return {size: parseFloat(s.fontSize), dark: (r + g + b) / 3 < 100};
    }""")
    assert font["size"] >= 20 and font["dark"], font
    assert_qr_fits_and_scans(wall, address, "the projector's join code")
    print(f"projector: wall top {wall_top:.0f} px, nickname {font['size']:.1f} px")

    # Remove student asks first; End the class too, and a double tap on Yes is one end
    teacher.get_by_role("button", name="End the round").click()
    ben = teacher.locator('[data-wall="wall"] .hwr-wall-item[data-student="Ben"]')
    ben.get_by_role("button", name=re.compile("Remove")).click()
    dialog = teacher.get_by_role("dialog")
    expect(dialog).to_contain_text("Remove Ben from the class?")
    expect(ben).to_have_count(1)
    dialog.get_by_role("button", name="Remove Ben").click()
    expect(ben).to_have_count(0, timeout=30_000)
    expect(wall.locator('.hwr-wall-item[data-student="Ben"]')).to_have_count(0, timeout=30_000)
    teacher.get_by_role("button", name="End the class").click()
    expect(teacher.get_by_role("dialog")).to_contain_text("End the class?")
    assert db.current_class() is not None
    teacher.get_by_role("button", name="Yes, end the class").dblclick()
    teacher.get_by_role("button", name="Start the class").wait_for()
    time.sleep(1)
    assert db.current_class() is None
    assert teacher.locator('[data-testid="stException"]').count() == 0
    wall.get_by_text("The class has ended.").wait_for()
    assert not errors
    wall.context.close()
    teacher.context.close()


def test_a_300_character_address_still_scans(browser):
    """The join code of a long address (a school's proxy path), at both sizes, as the
    page's stylesheet draws it."""
    from hwr.pages.shared.markup import stylesheet
    from hwr.pages.teach.class_display import join_html

    address = "https://school.example/" + "a" * 276 + "/"
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    for large in (False, True):
        page.set_content(f"{stylesheet()}{join_html(address, large)}")
        assert_qr_fits_and_scans(page, address, f"large={large}")
    page.context.close()
