"""The load client against a real server: its protocol messages work, and bad clients
(a flood, malformed and oversized drawings, a disconnect mid-drawing) get nowhere."""

import json
import subprocess
import sys

from tests.support.files import REPO


def test_simulated_students_are_answered_and_abusers_contained(app_url, tmp_path):
    out = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.classroom_load", "--url", app_url,
         "--students", "4", "--seconds", "8", "--period", "2", "--abusers",
         "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.exists(), run.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["errors"] == []
    assert figures["drawings"] >= 8
    assert figures["answered"] == figures["drawings"]
    assert figures["correct"] >= 0.9 * figures["answered"]
    assert figures["p95_ms"] < 5000
    assert figures["malformed_sent"] > 0
    assert figures["malformed_answered_with_a_message"] == figures["malformed_sent"]
    assert figures["malformed_tracebacks"] == 0
    assert figures["oversized_connection_closed"] is True
    assert figures["flood_messages_sent"] > 100
    assert run.returncode == 0, run.stdout[-2000:]
