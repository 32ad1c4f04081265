"""Bad input gets an error naming the file, the line and the construct, and what to do."""
import math
import os

import numpy as np
import pytest

import srcdiff
from srcdiff import SrcdiffError, UnknownCallableError, UnsupportedSyntaxError, grad

HERE = os.path.basename(__file__)


def with_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def with_with(x):
    with open("f"):
        y = x
    return y


def with_yield(x):
    yield x


def with_class(x):
    class A:
        pass
    return x


def with_global(x):
    global COUNTER
    return x


def with_nonlocal(x):
    total = x

    def inner():
        nonlocal total
        total = total * 2
    inner()
    return total


def with_raise(x):
    raise ValueError("no")


def with_import(x):
    import os
    return x


def with_walrus(x):
    return (y := x) * y


def with_del(x):
    y = x
    del y
    return x


@pytest.mark.parametrize("fn, construct, text", [
    (with_try, "try/except", "try:"),
    (with_with, "with", 'with open("f"):'),
    (with_yield, "yield", "yield x"),
    (with_class, "class definition", "class A:"),
    (with_global, "global", "global COUNTER"),
    (with_raise, "raise", 'raise ValueError("no")'),
    (with_import, "import", "import os"),
    (with_walrus, "assignment expression", "(y := x) * y"),
    (with_del, "del", "del y"),
])
def test_unsupported_construct_is_located(fn, construct, text):
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(fn)(1.0)
    message = str(info.value)
    err = info.value
    assert err.loc.filename.endswith(HERE)
    assert err.loc.line == fn.__code__.co_firstlineno + _offset(fn, text)
    assert f"{HERE}:{err.loc.line}" in message
    assert construct in message
    assert text in message  # the offending line is shown
    assert "hint:" in message


def _offset(fn, text):
    import inspect

    lines, _ = inspect.getsourcelines(fn)
    return next(i for i, line in enumerate(lines) if text in line)


def test_nonlocal_in_a_called_nested_function():
    with pytest.raises(UnsupportedSyntaxError, match="nonlocal is not supported") as info:
        grad(with_nonlocal)(1.0)
    assert "nonlocal total" in str(info.value)


def test_caret_points_at_the_construct():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(with_walrus)(1.0)
    lines = str(info.value).splitlines()
    shown = next(i for i, line in enumerate(lines) if "(y := x)" in line)
    caret = lines[shown + 1]
    assert caret.index("^") == lines[shown].index("y :=")


def vector_output(x):
    return np.sin(x)


def test_non_scalar_output_names_its_shape():
    with pytest.raises(TypeError, match=r"scalar output.*shape \(3,\)"):
        grad(vector_output)(np.ones(3))


def two_args(x, y):
    return x * y


@pytest.mark.parametrize("argnums", [2, (0, 2), -3])
def test_argnums_out_of_range(argnums):
    with pytest.raises(ValueError, match="argnums"):
        grad(two_args, argnums=argnums)(1.0, 2.0)


def test_argnums_must_be_ints():
    with pytest.raises(TypeError, match="argnums"):
        grad(two_args, argnums="x")


def test_integer_input_is_a_type_error():
    with pytest.raises(TypeError, match="integer"):
        grad(two_args)(1, 2.0)
    with pytest.raises(TypeError, match="dtype int64"):
        grad(two_args)(np.arange(3), 2.0)


def no_rule(x):
    return math.gamma(x) * x


def test_callable_without_source_or_rule():
    with pytest.raises(UnknownCallableError) as info:
        grad(no_rule)(1.5)
    message = str(info.value)
    assert "math.gamma" in message
    assert f"{HERE}:" in message
    assert "custom_vjp" in message


def unknown_name(x):
    return x * undefined_thing  # noqa: F821


def test_undefined_name():
    with pytest.raises(SrcdiffError, match="'undefined_thing' is not defined"):
        grad(unknown_name)(1.0)


def bad_attribute(x):
    return x.bogus


def test_unknown_array_attribute():
    with pytest.raises(SrcdiffError, match="bogus"):
        grad(bad_attribute)(np.ones(2))


def runtime_axis(x):
    return np.sum(x, axis=int(x[0, 0])).sum()


def test_traced_static_parameter():
    # an axis computed from the inputs' values (an int argument would be compiled for by value)
    with pytest.raises(SrcdiffError, match="axis must be known when compiling"):
        grad(runtime_axis)(np.ones((2, 2)))


def test_no_source():
    with pytest.raises(SrcdiffError, match="cannot read the source"):
        grad(eval("lambda x: x * 2"))(1.0)


def mismatched(x, y):
    return np.sum(x + y)


def test_shape_mismatch_is_located():
    with pytest.raises(SrcdiffError, match=r"could not be broadcast.*\(3,\).*\(4,\)") as info:
        grad(mismatched)(np.ones(3), np.ones(4))
    assert "return np.sum(x + y)" in str(info.value)


def bytes_times_a_vector(x):
    if b'b' @ x:  # the source fuzzer's: NumPy raises here too
        return np.sum(x)
    return np.sum(x * 2.0)


def test_a_string_operand_is_refused_where_it_is_used():
    # it reached the code generator, which has no source form for b'b' (an internal ValueError)
    with pytest.raises(SrcdiffError, match="matmul of the bytes b'b'") as info:
        grad(bytes_times_a_vector)(np.ones(3))
    assert "test_errors.py" in str(info.value) and "if b'b' @ x:" in str(info.value)


def forwards_its_arguments(*args):
    return np.sum(args[0] * args[1])


def test_differentiating_a_function_of_star_args_is_refused_where_it_is():
    """Its second argument has no name of its own: the refusal names the def, not an IndexError."""
    for transform in (srcdiff.grad, srcdiff.jacrev):
        with pytest.raises(SrcdiffError, match=r"\*args is not supported") as info:
            transform(forwards_its_arguments, argnums=1)(np.ones(3), np.ones(3))
        assert "test_errors.py" in str(info.value)
