"""The tests' preloaded app servers (tests/support/preloaded.py): which can be forked,
and a test's PYTHONPATH taken in the fork as a fresh interpreter takes it."""

import os
import sys

from tests.support import preloaded


def test_a_server_setting_what_the_libraries_read_at_import_starts_afresh(monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    env = dict(os.environ)
    assert preloaded.preloadable(env)
    assert preloaded.preloadable({**env, "HWR_CLASS_DB": "/elsewhere", "PYTHONPATH": "/x"})
    assert not preloaded.preloadable({**env, "KERAS_HOME": "/tmp/keras"})


def test_a_tests_pythonpath_is_on_sys_path_and_its_sitecustomize_runs(tmp_path,
                                                                       monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, value in ((first, "first"), (second, "second")):
        folder.mkdir()
        (folder / "sitecustomize.py").write_text(
            f"import os\nos.environ['HWR_TEST_SITE'] = {value!r}\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("HWR_TEST_SITE", raising=False)
    preloaded._python_path(os.pathsep.join([str(first), "", str(second)]))
    assert sys.path[1:3] == [str(first), str(second)]
    assert os.environ["HWR_TEST_SITE"] == "first"  # the first one found, as Python does
