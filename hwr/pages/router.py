"""hwr: draw a digit, see what a CNN trained on MNIST thinks it is.

Routes only; Streamlit runs this for every visitor (``streamlit_app.py`` starts the
server). It lives inside ``hwr/pages`` on purpose: Streamlit treats a ``pages`` folder
beside the script it runs as old-style pages, so a router in ``hwr/`` made a first visit
to ``/teach`` or ``/draw`` run ``hwr/pages/teach.py`` itself (the layout of then), a blank page. The
Evaluation, Class and Teach pages (pandas, Altair, matplotlib) are imported when they
are opened, so the first page a student sees does not wait for them.
"""

from pathlib import Path

import streamlit as st

from hwr.pages.draw.page import draw_page
from hwr.pages.shared.language import _, choose_language, language_picker


def evaluation() -> None:
    from hwr.pages.evaluation.page import evaluation_page

    evaluation_page()


def class_() -> None:
    from hwr.pages.class_page.page import class_page

    class_page()


def teach() -> None:
    from hwr.pages.teach.page import teach_page

    teach_page()


# A favicon file of our own: a Material icon here is fetched from Google's font server,
# which a classroom without internet (or behind a filter) does not reach.
FAVICON = str(Path(__file__).with_name("favicon.png"))
choose_language()  # before any word: the join link's ?lang=, the picker, the browser
st.set_page_config(page_title=_("hwr: handwritten digits"), page_icon=FAVICON,
                   layout="wide")
page = st.navigation([
    # The address students are given ("/") and the Draw page's own address ("/draw").
    st.Page(draw_page, title=_("Draw"), icon=":material/draw:", url_path="start",
            default=True, visibility="hidden"),
    st.Page(draw_page, title=_("Draw"), icon=":material/draw:", url_path="draw"),
    st.Page(evaluation, title=_("Evaluation"), icon=":material/analytics:",
            url_path="evaluation"),
    st.Page(class_, title=_("Class"), icon=":material/school:", url_path="class"),
    st.Page(teach, title=_("Teach"), icon=":material/co_present:", url_path="teach"),
])
language_picker()
page.run()
