"""The pages, one folder each, with what they share (``shared/``) and hwr's own
components (``components/``); ``router.py`` routes them. Streamlit is imported here, in
``hwr/server/`` (its runtime) and in ``hwr/settings.py`` (its secrets file) only."""
