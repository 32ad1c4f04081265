"""The vmap tester (tests/random/fuzz_vmap.py): srcdiff.vmap against a Python loop over the batch.

CI runs 30 programs, the same ones every run (tests/conftest.py). For a large run of new
programs, and a survey that records every failure without stopping:

    SRCDIFF_HYPOTHESIS_RANDOM=1 SRCDIFF_FUZZ_VMAP_EXAMPLES=500 python -m pytest tests/random/test_vmap_fuzz.py -q
    python -m tests.random.fuzz_vmap_survey 500 /tmp/vmap SEED

The helpers the checks build their references with are tested here too, without srcdiff.vmap.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings

from .fuzz_vmap import DIRECTORY, _block_diagonal, _element, _stack, programs, run_program, seeds, vmap_available

EXAMPLES = int(os.environ.get("SRCDIFF_FUZZ_VMAP_EXAMPLES", "30"))

# derandomized unless asked (tests/conftest.py); not shrunk: the seed's choices (which arguments
# are batched, the axes, the sizes) change with the program, so a shrunk program is another case,
# and a failure's module (written out, and shown) is already the whole reproduction
fuzz = settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])


@pytest.mark.skipif(not vmap_available(), reason="srcdiff.vmap does not exist yet")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@fuzz
@given(programs, seeds)
def test_vmap_agrees_with_a_loop(program, seed):
    report = run_program(program, seed)
    note(report.summary())
    event(f"program {report.outcome}")
    for c in report.checks:
        if c.outcome == "refused":
            event(f"refused: {c.group[:100]}")
    assert report.outcome != "invalid", f"the generator wrote a program f cannot run: {report.reason}"
    if report.failures():
        path = os.path.join(DIRECTORY, f"vmap_failure_{seed}.py")
        with open(path, "w") as fh:
            fh.write(report.repro())
        raise AssertionError(f"{report.summary()}\n\nreproduce: python {path}\n\n{report.repro()}")


# ---------------------------------------------------------------------------------------
# The references' helpers


def test_element_slices_each_level_and_copies():
    x = np.arange(24.0).reshape(2, 3, 4)  # outer batch along axis 0, inner along the last of what remains
    y = np.array([0.5, 1.5])
    z = np.ones(3)
    axes = [[0, 0, None], [-1, None, None]]
    args = _element((x, y, z), axes, ["array", "float", "array"], (1, 2))
    np.testing.assert_array_equal(args[0], x[1, :, 2])
    assert args[1] == 1.5 and type(args[1]) is float
    assert args[2] is not z and np.array_equal(args[2], z)
    assert type(_element((np.array([1.0, 2.0], dtype=np.float32),), [[0]], ["float32"], (1,))[0]) is np.float32


def test_stack_follows_out_axes():
    items = [np.full(3, b) for b in range(4)]
    assert _stack(items, 0).shape == (4, 3)
    assert _stack(items, -1).shape == (3, 4)
    pair = _stack([(np.zeros(3), 1.0), (np.ones(3), 2.0)], (1, 0))
    assert pair[0].shape == (3, 2) and pair[1].tolist() == [1.0, 2.0]
    assert _stack([(np.zeros(3), 1.0), (np.ones(3), 2.0)], -1)[0].shape == (3, 2)


def test_block_diagonal_is_the_jacobian_of_the_batched_function():
    """The Jacobian of x -> vmap(f) for f(x) = sin(x) * a (x of shape (3,)), by differences."""
    a = np.array([0.5, -1.0, 2.0])
    xs = np.random.default_rng(0).uniform(-1, 1, (3, 4))  # batched along axis 1

    def batched(x):  # output batched along axis 0: shape (4, 3)
        return np.stack([np.sin(x[:, b]) * a for b in range(x.shape[1])], axis=0)

    blocks = [np.diag(np.cos(xs[:, b]) * a) for b in range(4)]
    jac = _block_diagonal(blocks, 0, 2, 1, 2)
    eps = 1e-6
    cd = np.zeros((4, 3, 3, 4))
    for idx in np.ndindex(3, 4):
        e = np.zeros_like(xs)
        e[idx] = eps
        cd[(...,) + idx] = (batched(xs + e) - batched(xs - e)) / (2 * eps)
    np.testing.assert_allclose(jac, cd, atol=1e-8)
    # an argument that is not batched: every element's block fills it
    y = np.array([0.3, 0.7])
    jac = _block_diagonal([np.array(2.0 * y[b]) for b in range(2)], 0, 1, None, 0)
    np.testing.assert_allclose(jac, 2.0 * y)
