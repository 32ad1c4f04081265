"""Per-column factors taken out of sums down the columns of a product
(srcdiff/transforms/factor.py): np.sum(g[:, None] / var * (2 * diff), axis=0) is
2 * g.dot(diff) / var, and v.dot(M / r) is v.dot(M) / r."""
import numpy as np
from hypothesis import given, settings, strategies as st

import srcdiff
from tests.numeric import assert_matches_differences, import_file
from tests.unit.irtools import find, ir_after, loop, operands, ops

rng = np.random.default_rng(11)
X = rng.standard_normal((40, 5))
w = rng.standard_normal(40)
v = 0.3 * rng.standard_normal(5)


def mixture_like(mu, log_var):
    # the adjoint of mu sums (a column / var * (2 * diff)) down its 40 rows
    diff = X - mu
    return np.sum(np.log(1.0 + np.sum(diff ** 2 / np.exp(log_var), axis=1)))


def scaled_rows(w, v):
    # the user's own sum of a product, which the value computes the same way
    total = np.sum(w[:, None] * (-2.0 * X) / np.exp(v), axis=0)
    return np.sum(np.sin(total))


def product_read_twice(w, v):
    p = w[:, None] * X / np.exp(v)
    return np.sum(np.sum(p, axis=0) ** 2) + np.sum(p * p)


def test_the_adjoint_of_a_mean_is_a_vector_matrix_product():
    g = srcdiff.grad(mixture_like, argnums=(0, 1))
    mu, log_var = rng.standard_normal(5), 0.2 * rng.standard_normal(5)
    assert_matches_differences(g, mixture_like, (mu, log_var), argnums=(0, 1))
    fn = ir_after(mixture_like, (mu, log_var), "factor", argnums=(0, 1))
    assert "sum" not in ops(fn) and ops(fn)["dot"] >= 2  # no sum down the columns is left


def test_a_sum_the_user_wrote_is_factored_and_keeps_its_value():
    # wrt w only: the backward sweep does not read the product, so it need not be made
    vg = srcdiff.value_and_grad(scaled_rows)
    value, _ = vg(w, v)
    assert abs(value - scaled_rows(w, v)) < 1e-12
    assert_matches_differences(srcdiff.grad(scaled_rows), scaled_rows, (w, v), argnums=0)
    fn = ir_after(scaled_rows, (w, v), "factor")
    assert "sum" not in ops(fn) and "getitem" not in ops(fn)  # w[:, None] * ... is not made
    assert ["w", "mul"] in operands(fn, "dot")  # w.dot(-2.0 * X), then divided by exp(v)


def test_a_product_read_elsewhere_is_made_and_its_sum_is_a_vector_matrix_product():
    g = srcdiff.grad(product_read_twice, argnums=(0, 1))
    assert_matches_differences(g, product_read_twice, (w, v), argnums=(0, 1))
    fn = ir_after(product_read_twice, (w, v), "factor", argnums=(0, 1))
    assert ops(fn)["getitem"] == 1 and operands(fn, "dot") == [["w", "const"]]  # p made, its sum w.dot(X)


def log_densities(v):
    # a row and a constant added to every element of a sum along the rows: summed once each
    return np.sum(np.sin(np.sum(X ** 2 / np.exp(v) + v + 1.5, axis=1)))


def weighted_columns(w, v):
    # w[:, None]'s adjoint is a column summed along its rows: w's own shape, no zeros to fill
    return np.sum(np.tanh(np.sum(w[:, None] * X * v, axis=1)))


def test_terms_that_do_not_vary_along_a_sum_are_summed_alone():
    vg = srcdiff.value_and_grad(log_densities)
    value, _ = vg(v)
    assert abs(value - log_densities(v)) < 1e-12
    assert_matches_differences(srcdiff.grad(log_densities), log_densities, (v,), argnums=0)
    fn = ir_after(log_densities, (v,), "factor")
    assert ["v"] in operands(fn, "sum") and ["sum", "const"] in operands(fn, "add")  # np.sum(v) + 7.5
    assert all(e.outs[0].aval.shape != X.shape for e in find(fn, "add"))  # not added to every element


def test_the_adjoint_of_a_new_axis_takes_the_axis_out():
    g = srcdiff.grad(weighted_columns, argnums=(0, 1))
    assert_matches_differences(g, weighted_columns, (w, v), argnums=(0, 1))
    fn = ir_after(weighted_columns, (w, v), argnums=(0, 1))
    assert not {"zeros", "zeros_like", "index_put", "index_add"} & set(ops(fn))


def relu_layer(b, u):
    # the bias's adjoint sums np.outer(r, u) * mask down its rows: r.dot(mask) * u
    h = np.maximum(0.0, X + b)
    return np.sum(h.dot(u) ** 2)


def test_an_outer_product_under_a_mask_sums_as_a_product_with_the_mask():
    g = srcdiff.grad(relu_layer, argnums=(0, 1))
    assert_matches_differences(g, relu_layer, (0.3 * v, v), argnums=(0, 1))
    fn = ir_after(relu_layer, (0.3 * v, v), "factor", argnums=(0, 1))
    assert "outer" not in ops(fn) and "sum" not in ops(fn)
    assert ["mul", "gt"] in operands(fn, "dot")  # r.dot(mask)


# Random products of a column, rows, matrices and scalars, summed down their columns or
# multiplied by a vector: whether or not the pass takes one apart, the value and the
# gradient must be the same as NumPy's and the central differences'.
LEAVES = ["w[:, None]", "v", "np.exp(v)", "X", "np.cos(X)", "2.0", "(w * w)[:, None]", "np.outer(w, v)",
          "np.expand_dims(v, 0)"]
DIVISORS = ["np.exp(v)", "3.0", "(1.0 + v * v)", "(2.0 + np.cos(X))"]


@st.composite
def products(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(LEAVES))
    kind = draw(st.sampled_from(["mul", "div", "neg", "mask"]))
    left = draw(products(depth - 1))
    if kind == "neg":
        return f"-({left})"
    if kind == "mask":  # a boolean factor, as a ReLU's adjoint has (never negated: NumPy refuses -mask)
        return f"({left}) * (X > 0.0)"
    if kind == "div":
        divisor = draw(st.sampled_from(DIVISORS))
        return f"({left}) / {('-' if draw(st.booleans()) else '')}{divisor}"
    return f"({left}) * ({draw(products(depth - 1))})"


@settings(max_examples=40, deadline=None)
@given(product=products(), reduce=st.sampled_from(["np.sum({}, axis=0)", "w.dot({})", "np.sum({}, axis=1)",
                                                    "({}).dot(v)", "np.sum({} + v + 0.5, axis=1)"]))
def test_factored_products_keep_their_values_and_gradients(tmp_path_factory, product, reduce):
    body = reduce.format(f"({product}) * (1.0 + X * X)")
    source = (f"import numpy as np\nX = np.asarray({X.tolist()})\n\n\n"
              f"def f(w, v):\n    return np.sum(np.sin({body}))\n")
    path = tmp_path_factory.mktemp("factor") / "product.py"
    f = import_file(path, source).f
    small = 0.5 * w  # w ** 8 stays near 1, where central differences hold
    value, _ = srcdiff.value_and_grad(f, argnums=(0, 1))(small, v)
    np.testing.assert_allclose(value, f(small, v), rtol=1e-10, atol=1e-12)
    assert_matches_differences(srcdiff.grad(f, argnums=(0, 1)), f, (small, v), argnums=(0, 1))


M3 = rng.standard_normal((3, 5))


def per_component(mu, log_var):
    # q is made for np.sum(q, axis=1), which becomes sq.dot(1.0 / var), and recorded for the
    # backward sweep, where var is taken out of q's sums: sq is recorded instead
    total = 0.0
    for k in range(mu.shape[0]):
        var = np.exp(log_var[k])
        q = (X - mu[k]) ** 2 / var
        total = total + np.sum(np.log(1.0 + np.sum(q, axis=1)))
    return total


def test_a_quotient_recorded_only_for_the_backward_sweep_is_not_made():
    g = srcdiff.grad(per_component, argnums=(0, 1))
    log_var = 0.2 * rng.standard_normal((3, 5))
    assert_matches_differences(g, per_component, (M3, log_var), argnums=(0, 1))
    forward = loop(ir_after(per_component, (M3, log_var), argnums=(0, 1)))
    assert ops(forward)["div"] == 1 and ["const", "exp"] in operands(forward, "div")  # 1.0 / var, not q
    assert not [e for e in find(forward, "div") if e.outs[0] in forward.params["saves"]]  # q is not recorded
    h = srcdiff.hessian(per_component, argnums=1)(M3, log_var)
    fd = np.stack([(g(M3, log_var + e)[1] - g(M3, log_var - e)[1]) / 2e-6
                   for e in np.eye(15).reshape(15, 3, 5) * 1e-6]).reshape(3, 5, 3, 5)
    np.testing.assert_allclose(h, np.moveaxis(fd, (0, 1), (2, 3)), rtol=1e-5, atol=1e-6)
