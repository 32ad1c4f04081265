"""Smoke tests of examples/: each main() runs (with fewer steps where it has a knob for it)
and its results are the ones the example is about."""
import importlib.util
import sys

import numpy as np
import pytest

from tests.numeric import example

HAVE_SCIPY = importlib.util.find_spec("scipy") is not None
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def test_survey(capsys):
    result = example("survey").main()
    assert result["value"] == pytest.approx(np.log(2.0) + 10.0 - np.sin(5.0), rel=1e-12)
    assert result["gradient"] == pytest.approx((5.5, 2.0 - np.cos(5.0)), rel=1e-12)
    assert result["tangent"] == pytest.approx(5.5, rel=1e-12)
    out = capsys.readouterr().out
    assert "def value_and_grad_f(x1, x2):" in out
    assert "df/dx1(2, 5) = 5.500000" in out


def test_two_layer_net(capsys):
    accuracy = example("two_layer_net").main()
    assert accuracy > 0.9
    assert "def value_and_grad_loss(W1, b1, W2, b2, X, y, reg):" in capsys.readouterr().out


def test_homework(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # anything written to the current directory lands here
    out_dir = tmp_path / "out"
    result = example("homework").main(out_dir=str(out_dir), epochs=1000)
    # (a): all pre-activations are exactly 0 at (2, -2), and ReLU'(0) = 0
    assert result["output_at_point"] == 0.0
    assert result["gradient_at_point"] == (0.0, 0.0)
    # (b)
    assert result["final_loss"] < 0.01
    # (c)
    predictions = np.load(out_dir / "homework_predictions.npy")
    assert predictions.shape == (21, 21)
    assert predictions.dtype == np.float64
    xs = np.linspace(-1.0, 1.0, 21)
    x1, x2 = np.meshgrid(xs, xs)
    rms = np.sqrt(np.mean((predictions - (2 * x1 + x1 * x2)) ** 2))
    assert rms == pytest.approx(result["grid_rms"], rel=1e-12)
    assert result["grid_rms"] < 0.15
    assert (out_dir / "homework_predictions.mat").exists() == HAVE_SCIPY
    assert (out_dir / "homework_fit.png").exists() == HAVE_MATPLOTLIB
    assert list(tmp_path.iterdir()) == [out_dir]
    out = capsys.readouterr().out
    assert "epoch   1000" in out


@pytest.mark.skipif(not HAVE_SCIPY, reason="SciPy is not installed")
def test_homework_mat(tmp_path):
    import scipy.io

    example("homework").main(out_dir=str(tmp_path), epochs=50)
    mat = scipy.io.loadmat(str(tmp_path / "homework_predictions.mat"))
    np.testing.assert_array_equal(mat["predictions"], np.load(tmp_path / "homework_predictions.npy"))


def test_homework_without_scipy(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "scipy", None)  # import scipy raises ImportError
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    example("homework").main(out_dir=str(tmp_path), epochs=50)
    assert (tmp_path / "homework_predictions.npy").exists()
    assert not (tmp_path / "homework_predictions.mat").exists()
    assert "SciPy not installed: skipped homework_predictions.mat" in capsys.readouterr().out


def test_rnn(capsys):
    result = example("rnn").main(steps=200)
    assert result["final_loss"] < 0.5 * result["initial_loss"]
    out = capsys.readouterr().out
    assert "for t in reversed(range(" in out  # the backprop-through-time loop was printed
    assert "step   200" in out


@pytest.mark.skipif(not HAVE_SCIPY, reason="SciPy is not installed")
def test_rosenbrock_scipy():
    rosenbrock = example("rosenbrock")
    result = rosenbrock.main(use_scipy=True)
    assert result["method"] == "L-BFGS-B"
    assert result["f"] < 1e-6
    np.testing.assert_allclose(result["x"], np.ones(10), atol=1e-3)


def test_rosenbrock_gradient_descent():
    rosenbrock = example("rosenbrock")
    f0 = rosenbrock.rosenbrock(rosenbrock.start_point(10))
    result = rosenbrock.main(use_scipy=False, iterations=1000)
    assert result["method"] == "gradient descent"
    assert result["f"] < 1e-3 * f0
    assert result["f"] == pytest.approx(rosenbrock.rosenbrock(result["x"]), rel=1e-12)


def test_rosenbrock_without_scipy(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    rosenbrock = example("rosenbrock")
    f0 = rosenbrock.rosenbrock(rosenbrock.start_point(10))
    result = rosenbrock.main(iterations=200)
    assert result["method"] == "gradient descent"
    assert result["f"] < 1e-2 * f0
    assert "SciPy not installed: using gradient descent" in capsys.readouterr().out
