"""scripts/benchmark.py's robustness figure: one per rendering seed, and their mean."""

import re

from tests.conftest import write_mnist_dir
from tests.test_train import load_script


def test_robustness_reports_each_rendering_and_their_mean(tmp_path, capsys):
    data = write_mnist_dir(tmp_path / "mnist", n_train=10, n_test=40)
    benchmark = load_script("benchmark")
    assert benchmark.main(["--data-dir", str(data), "--skip", "latency", "--skip", "drawn",
                           "--robust-count", "40", "--renderings", "3", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    per_seed = re.findall(r"seed (\d+): hwr preprocessing: accuracy ([\d.]+)%", out)
    assert [seed for seed, _ in per_seed] == ["5", "6", "7"]
    accuracies = [float(a) for _, a in per_seed]
    mean = re.search(r"mean of 3 renderings: accuracy ([\d.]+)% \(from ([\d.]+)% to "
                     r"([\d.]+)%\)", out)
    assert mean, out
    assert abs(float(mean[1]) - sum(accuracies) / 3) < 0.01
    assert (float(mean[2]), float(mean[3])) == (min(accuracies), max(accuracies))
