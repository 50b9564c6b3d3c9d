"""benchmarks/benchmark.py's robustness figure: one per rendering seed, and their mean."""

import re

import pytest

from tests.support.files import write_mnist_dir


@pytest.mark.slow
def test_robustness_reports_each_rendering_and_their_mean(tmp_path, capsys):
    data = write_mnist_dir(tmp_path / "mnist", n_train=10, n_test=40)
    import benchmarks.benchmark as benchmark
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


def test_no_renderings_is_refused_with_a_sentence(capsys):
    import benchmarks.benchmark as benchmark
    with pytest.raises(SystemExit) as exit:
        benchmark.main(["--renderings", "0"])
    assert exit.value.code == 2
    assert "--renderings must be at least 1" in capsys.readouterr().err
