"""The order the workers take the test files in (tests/support/durations.py)."""

import types

from tests.support.durations import from_junit, order, recorded


def items(*nodeids):
    return [types.SimpleNamespace(nodeid=n) for n in nodeids]


def test_the_longest_files_go_first_each_whole_and_in_its_own_order():
    collected = items("tests/test_a.py::one", "tests/test_a.py::two", "tests/e2e/test_b.py::x",
                      "tests/test_new.py::n", "tests/test_c.py::c1", "tests/test_c.py::c2")
    seconds = {"tests/test_a.py": 5.0, "tests/e2e/test_b.py": 60.0, "tests/test_c.py": 5.0}
    assert [i.nodeid for i in order(collected, seconds)] == [
        "tests/e2e/test_b.py::x",  # the longest
        "tests/test_a.py::one", "tests/test_a.py::two",  # equal: as collected
        "tests/test_c.py::c1", "tests/test_c.py::c2",
        "tests/test_new.py::n"]  # not measured yet: last


def test_a_junit_report_gives_each_files_seconds(tmp_path):
    report = tmp_path / "run.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.e2e.test_b" name="x" time="2.5"/>'
        '<testcase classname="tests.e2e.test_b" name="y[1]" time="1.25"/>'
        '<testcase classname="tests.test_a.TestGroup" name="one" time="0.5"/>'
        '</testsuite></testsuites>')
    assert from_junit(report) == {"tests/e2e/test_b.py": 3.8, "tests/test_a.py": 0.5}


def test_the_record_names_files_that_exist(tmp_path):
    from tests.support.files import REPO

    seconds = recorded()
    assert seconds and all((REPO / name).is_file() for name in seconds)
    assert recorded(tmp_path / "none.json") == {}
