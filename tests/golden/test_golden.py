"""The emitted source for the course's examples, checked in: every change to what srcdiff
writes shows up in review as a diff of the golden files beside this one (tests/golden/survey.py,
two_layer.py, rnn.py).

After an intended change, regenerate with: SRCDIFF_UPDATE_GOLDEN=1 python -m pytest tests/golden/test_golden.py"""
import os

import numpy as np
import pytest

import srcdiff

from tests.models.test_models import rnn_loss
from tests.numeric import example

HERE = os.path.dirname(os.path.abspath(__file__))



def survey():
    return srcdiff.grad(example("survey").f, argnums=(0, 1)), (2.0, 5.0)


def two_layer():
    net = example("two_layer_net")
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((4, 5)), np.zeros(5), rng.standard_normal((5, 3)), np.zeros(3),
            rng.standard_normal((8, 4)), rng.integers(0, 3, 8), 1e-3)
    return srcdiff.grad(net.loss, argnums=(0, 1, 2, 3)), args


def rnn():
    rng = np.random.default_rng(0)
    return srcdiff.grad(rnn_loss, argnums=(0, 1)), (rng.standard_normal((4, 4)), rng.standard_normal((4, 3)),
                                                     rng.standard_normal((6, 3)))


@pytest.mark.parametrize("name, make", [("survey", survey), ("two_layer", two_layer), ("rnn", rnn)])
def test_emitted_source_matches_golden(name, make):
    grad, args = make()
    source = srcdiff.source(grad, *args)
    path = os.path.join(HERE, name + ".py")
    if os.environ.get("SRCDIFF_UPDATE_GOLDEN"):
        with open(path, "w") as f:
            f.write(source)
    with open(path) as f:
        assert source == f.read(), f"the emitted source for {name} changed: review it and update {path}"
    namespace = {}
    exec(source, namespace)  # the golden file is a working module: same numbers as srcdiff.grad
    fn = namespace[[k for k in namespace if k.startswith("grad_")][0]]
    for got, want in zip(fn(*args), grad(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
