"""hwr's changes to Streamlit's runtime (hwr/pages/runtime_fixes.py)."""

import threading
import time

from streamlit.watcher.polling_path_watcher import PollingPathWatcher

from hwr.pages import runtime_fixes


def test_settings_files_are_polled_less_often_but_changes_are_still_seen(tmp_path):
    settings = tmp_path / "config.toml"
    settings.write_text("[server]\nheadless = true\n")
    changed = threading.Event()
    watcher = PollingPathWatcher(str(settings), lambda _path: changed.set())
    try:
        time.sleep(0.05)
        settings.write_text("[server]\nheadless = false\n")
        start = time.monotonic()
        assert changed.wait(runtime_fixes.SETTINGS_POLL * 3)
        # not at Streamlit's 0.2 s: one check every SETTINGS_POLL seconds
        assert time.monotonic() - start > runtime_fixes.SETTINGS_POLL / 2
    finally:
        watcher.close()
