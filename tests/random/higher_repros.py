"""Minimal programs for the classes the higher-order tester (tests/random/test_higher_fuzz.py) found.

REPROS: name -> (source, check, expected, known).

- source: a module defining f and what it calls, after PRELUDE (numpy as np, the constants
  ARR and IDX and the helpers h and hw of tests/random/fuzz_higher.py);
- check: a Python expression run with srcdiff, np, the module's names and
  X = np.array([0.3, -0.5, 0.8]) in scope;
- expected: the exact answer (a number, an array, or a tuple of them: the result must
  have its structure, shapes and values), or "refuse" (a TypeError, or a SrcdiffError that
  names file:line and is not an internal error), or ("right or refuse", answer), or
  ("dtype", name) (every leaf of the result has that dtype; values are checked by the
  random tester);
- known: the KNOWN_BUGS entry (tests/random/test_higher_fuzz.py) the class is filed under while
  it is open, or None once it is fixed.

`failure(name)` runs one: None if srcdiff gets it right, else what went wrong.
"""
import os
import re
import tempfile
import textwrap

import numpy as np

import srcdiff

from tests.numeric import import_file

PRELUDE = """import numpy as np

import srcdiff

ARR = np.array([0.5, -1.0, 2.0])
IDX = np.array([2, 0, 2])


def h(u):
    return np.sin(u) * 0.5 + u


def hw(u):
    w = u.copy()
    w[1:] = w[1:] * 0.5 + w[:-1]
    return w


"""

# a function whose gradient folds to a constant (0.5), checked in two modes below
_FOLDED_GRADIENT = """
        def f(x):
            e = x * 0.5
            for i in range(1):
                e = e + 1.3
            return e
        """

REPROS = {
    # --- defaults and keyword arguments
    # f's own default left out by the call: jvp, vjp, jacfwd, jacrev, hessian raise
    # "internal error ... KeyError: 'c'" (grad is right).
    "default_left_out_jvp": ("""
        def f(x, c=0.5):
            return x * c + np.sin(x)
        """, "srcdiff.jvp(f, (0.7,), (1.0,))[1]", 0.5 + np.cos(0.7), None),
    "default_left_out_hessian": ("""
        def f(x, c=0.5):
            return x * x * c
        """, "srcdiff.hessian(f)(0.7)", 1.0, None),
    "keyword_only_default_jacfwd": ("""
        def f(x, *, k=1.5):
            return np.sum(x * x) * k
        """, "srcdiff.jacfwd(f)(X)", 3.0 * np.array([0.3, -0.5, 0.8]), None),
    "keyword_only_default_vjp": ("""
        def f(x, *, k=1.5):
            return x * k
        """, "srcdiff.vjp(f, 0.7)[1](1.0)", (1.5,), None),
    # jacfwd/jacrev/jacobian/hessian take no keyword arguments for f (JAX's pass them on):
    # TypeError "_Jacobian.__call__() got an unexpected keyword argument 'k'"
    "jacobian_with_keyword_argument": ("""
        def f(x, *, k=1.5):
            return x * x * k
        """, "srcdiff.jacfwd(f)(0.7, k=2.0)", ("right or refuse", 2.8), None),

    # --- Python literals in lists and tuples passed straight to NumPy
    # gradient 0.0; forward mode "no source form for T(%x)" (a ValueError from codegen)
    "literal_list_sum_grad": ("""
        def f(x):
            return np.sum([x, 1, x * x])
        """, "srcdiff.grad(f)(0.7)", 2.4, None),
    "literal_tuple_mean_jvp": ("""
        def f(x):
            return np.mean((x, 2.0))
        """, "srcdiff.jvp(f, (0.7,), (1.0,))[1]", 0.5, None),
    "literal_dot_ints": ("""
        def f(x):
            return x * np.dot([2, x], (1.0, 2))
        """, "srcdiff.grad(f)(0.7)", 2.0 + 4 * 0.7, None),
    "literal_constants_only": ("""
        def f(x):
            return x * np.sum([1.0, 2.0])
        """, "srcdiff.grad(f)(0.7)", 3.0, None),
    # a list a loop appends to, passed straight to np.sum/np.mean/np.max: the emitted
    # gradient raises AttributeError "'float' object has no attribute 'pop'"; with
    # axis=0 the gradient is wrong (2.0 for 3.0)
    "loop_list_mean": ("""
        def f(x):
            l0 = []
            for i in range(2):
                l0.append(x * x)
            return np.mean(l0)
        """, "srcdiff.grad(f)(0.3)", 0.6, None),
    "loop_list_mean_axis": ("""
        def f(x):
            l0 = []
            for i in range(2):
                l0.append(x * np.ones(3))
            return np.sum(np.mean(l0, axis=0))
        """, "srcdiff.grad(f)(0.3)", 3.0, None),

    # --- writes through fancy indices with repeats (NumPy: the last write wins, += once)
    "fancy_aug_write_repeat": ("""
        def f(x):
            z = np.zeros(3)
            z[[0, 0]] += x[1]
            return np.sum(z * x)
        """, "srcdiff.grad(f)(X)", np.array([-0.5, 0.3, 0.0]), None),
    "fancy_sub_write_index_array": ("""
        def f(x):
            a = np.zeros(3)
            a[IDX] -= x
            return np.sum(a * a)
        """, "srcdiff.grad(f)(X)", np.array([0.0, 2 * -0.5, 2 * 0.8]), None),

    # --- copies and views
    "np_array_is_a_copy": ("""
        def f(x):
            a = np.array(x)
            a[0] = 2.0 * x[1]
            return np.sum(x) + a[0]
        """, "srcdiff.grad(f)(X)", np.array([1.0, 3.0, 1.0]), None),

    # jacfwd of a = x * ARR updated in a loop adds into a's tangent, which is ARR itself: 6.0 for 4.5,
    # and ARR is [2, -4, 8] afterwards, for every later call (f itself too)
    "jacfwd_adds_into_a_module_array": ("""
        def f(x):
            a = x * ARR
            b = a * 1.0
            for i in range(2):
                a = a + b
            return np.sum(a)
        """, "srcdiff.jacfwd(f)(0.3)", 4.5, None),
    "jacfwd_leaves_the_module_array": ("""
        def f(x):
            a = x * ARR
            b = a * 1.0
            for i in range(2):
                a = a + b
            return np.sum(a)
        """, "(srcdiff.jacfwd(f)(0.3), ARR.tolist())[1]", np.array([0.5, -1.0, 2.0]), None),

    # a first-order gradient, wrong: an array broadcast from a float x, carried by a loop as a = a + e
    # and read in it; reverse mode takes the last a for every iteration (a = e + a is right)
    "loop_carried_broadcast_of_a_float": ("""
        def f(x):
            a = ARR * x
            s = 0.0
            for i in range(2):
                a = a + ARR
                s = s + np.sum(a * a)
            return s
        """, "srcdiff.grad(f)(0.9)", 50.4, None),
    # reverse over reverse where an inner loop turns a float into an array: ValueError "setting an
    # array element with a sequence" in the emitted code (hessian is right)
    "grad_grad_float_becomes_array_in_inner_loop": ("""
        def f(x):
            a = 0.0
            for i in range(2):
                b = 1.0
                for j in range(2):
                    b = b * (ARR * x)
                a = a + b
            return np.sum(a)
        """, "srcdiff.grad(srcdiff.grad(f))(-0.1368)", 21.0, None),
    # differentiating wrt y a loop-invariant term of a float that becomes an array: internal error
    # "IRError: for saves %x, which its body does not define" (wrt x it is right)
    "loop_invariant_term_wrt_second_argument": ("""
        def f(x, y):
            d = 0.0
            for i in range(3):
                d = d + x / (1.0 + y ** 2)
            return d[2]
        """, "srcdiff.grad(f, argnums=1)(X, 0.4)", -3 * 0.8 * 2 * 0.4 / (1 + 0.4 ** 2) ** 2,
        None),
    # a value that overflowed and is overwritten under an if: 0 * inf = nan in the gradient
    "nan_from_an_overwritten_overflow": ("""
        def f(x):
            a = np.exp(ARR * x * 1000.0)
            if x > -0.2:
                a = ARR * x
            return np.sum(a)
        """, "srcdiff.grad(f)(0.5)", 1.5, None),

    # --- loop indices in float math
    # grad(grad(f)) through a loop using its index: 3.22 (the records read in reverse order)
    "grad_grad_loop_index": ("""
        def f(x):
            s = 0.0
            for i in range(5):
                s = s + x ** i
            return s
        """, "srcdiff.grad(srcdiff.grad(f))(1.5)", 38.0, None),
    # grad(grad(f)) through an if whose side taken binds an array constant (jacrev(grad(f)) is right)
    "grad_grad_constant_side": ("""
        def f(x):
            if x > 0.7:
                d = ARR * x * x
            else:
                d = ARR
            return np.sum(d)
        """, "srcdiff.grad(srcdiff.grad(f))(-0.1)", 0.0, None),
    # reverse over reverse through an index of a broadcast product: the second derivative is
    # ARR[1:] + ... where it is np.sum(ARR[1:]) + ... (TypeError converting it to a float)
    "grad_grad_slice_of_broadcast": ("""
        def f(x):
            v = ARR * x
            return np.sum(v[1:]) * x
        """, "srcdiff.grad(srcdiff.grad(f))(0.9)", 2.0, None),
    "jacrev_grad_repeated_index_of_broadcast": ("""
        def f(x):
            return np.sum((ARR * x)[[0, 0]]) * x
        """, "srcdiff.jacrev(srcdiff.grad(f))(0.9)", 2.0, None),
    # a silently wrong Hessian: jacrev(grad(f)) of cos(sum((2 x)[1:]) + sum(x)) (hessian is right)
    "jacrev_grad_slice_of_a_product": ("""
        def f(x):
            return np.cos(np.sum((x * 2.0)[1:]) + np.sum(x))
        """, "srcdiff.jacrev(srcdiff.grad(f))(X)", -np.cos(1.2) * np.outer([1.0, 3, 3], [1.0, 3, 3]),
        None),
    "jacrev_grad_repeated_index_of_a_square": ("""
        def f(x):
            return np.cos(np.sum((x * x)[[0, 0]]) + np.mean(x))
        """, "srcdiff.jacrev(srcdiff.grad(f))(X)",
        -np.cos(0.18 + 0.2) * np.outer([1.2 + 1 / 3, 1 / 3, 1 / 3], [1.2 + 1 / 3, 1 / 3, 1 / 3])
        - np.sin(0.18 + 0.2) * np.diag([4.0, 0, 0]), None),
    # a refusal that is NumPy's error: "operands could not be broadcast together with shapes (2,) (3,)"
    "jacrev_grad_slice_times_sum": ("""
        def f(x):
            v = x * 2.0
            return np.sum(v[1:]) * np.sum(x)
        """, "srcdiff.jacrev(srcdiff.grad(f))(X)", np.array([[0.0, 2, 2], [2, 4, 4], [2, 4, 4]]), None),
    # the same with a side that leaves d alone (found at x = -0.45: the first side is taken)
    "grad_grad_side_that_leaves_a_value": ("""
        def hd(u, c=0.5, *, k=1.5):
            return u * c + np.cos(u) * k


        def hl(u, n):
            s = u * 0.0
            for i in range(n):
                pass
            return s


        def f(x):
            a = 0.0
            for i in range(3):
                for j in range(3):
                    pass
                a = a + (i + 1) * hd(ARR * x, 0.3)
            d = a[::-1]
            if np.sum(d) > 0.7:
                pass
            elif hl(x, 2) > 0.3:
                d = d - d / (1.0 + h(a[0]) ** 2)
            return np.sum(hw(np.array([1.0, 3, d[2]]))) + np.mean((1, 2.0)) * (a[2] * d[1])
        """, "srcdiff.grad(srcdiff.grad(f))(-0.4535)", -230.60122343696443, None),
    # x ** i at x == 0: the i = 0 term's derivative 0 * 0 ** -1 is nan
    "pow_loop_index_at_zero_grad": ("""
        def f(x):
            s = 0.0
            for i in range(3):
                s = s + x ** i
            return np.sum(s)
        """, "srcdiff.grad(f)(np.zeros(3))", np.ones(3), None),
    # ... and jvp on a Python float raises ZeroDivisionError in the emitted code
    "pow_loop_index_at_zero_jvp": ("""
        def f(x):
            s = 0.0
            for i in range(3):
                s = s + x ** i
            return s
        """, "srcdiff.jvp(f, (0.0,), (1.0,))[1]", 1.0, None),

    # --- a float that becomes an array
    # forward mode loses the broadcast of a tangent-less array: jacfwd -1 for -3
    "float_becomes_array_forward": ("""
        def f(x):
            b = 0.0
            for i in range(1):
                b = b + (ARR - x)
            return np.sum(b)
        """, "srcdiff.jacfwd(f)(0.3)", -3.0, None),
    # returned: grad returns 0.0 instead of refusing an array output ...
    "float_becomes_array_output_grad": ("""
        def f(x):
            b = 0.0
            for i in range(1):
                b = b + ARR
            return b
        """, "srcdiff.grad(f)(0.3)", "refuse", None),
    # ... also with a while loop, when the output does not depend on x: zeros of x's shape
    "float_becomes_array_in_while_output_grad": ("""
        def f(x):
            d = 0.0
            i = 0
            while i < 1:
                d = d + ARR
                i = i + 1
            return d
        """, "srcdiff.grad(f)(X)", "refuse", None),
    # ... and the Jacobian of its Jacobian has shape () instead of (3,)
    "float_becomes_array_output_jacobian": ("""
        def f(x):
            b = 0.0
            for i in range(2):
                b = b + ARR * x
            return b
        """, "srcdiff.jacfwd(srcdiff.jacrev(f))(0.3)", ("right or refuse", np.zeros(3)), None),

    # --- float32 end to end (JAX: a derivative has its input's dtype)
    "float32_grad_promoted": ("""
        def f(x):
            return np.sum(x * ARR)
        """, "srcdiff.grad(f)(X.astype(np.float32))", ("dtype", "float32"), None),
    "float32_jacrev": ("""
        def f(x):
            return x * x
        """, "srcdiff.jacrev(f)(X.astype(np.float32))", ("dtype", "float32"), None),
    "float32_hessian": ("""
        def f(x):
            return np.sum(x * x * x)
        """, "srcdiff.hessian(f)(X.astype(np.float32))", ("dtype", "float32"), None),

    # x float32 and an output that does not depend on it: float64 (JAX: the input's dtype)
    "float32_jacrev_of_a_constant": ("""
        def f(x):
            return np.sum(ARR * 0.5) + 0.5
        """, "srcdiff.jacrev(f)(X.astype(np.float32))", ("dtype", "float32"), None),
    "float32_hessian_of_a_constant": ("""
        def f(x):
            return np.sum(ARR * 0.5) + 0.5
        """, "srcdiff.hessian(f)(X.astype(np.float32))", ("dtype", "float32"), None),

    "float32_jvp_of_grad_promoted": ("""
        def f(x):
            return np.sum(np.ones(3) + x)
        """, "srcdiff.jvp(srcdiff.grad(f), (X.astype(np.float32),), (X.astype(np.float32),))", ("dtype", "float32"),
        None),
    # a Python float argument is run as np.float64: f gives float32, value_and_grad's value is float64
    "float32_value_with_a_python_float": ("""
        def f(x, y):
            return np.sum(x) + y
        """, "srcdiff.value_and_grad(f)(X.astype(np.float32), 0.4)", ("dtype", "float32"),
        None),
    "float32_jvp_with_a_python_float": ("""
        def f(x, y):
            return np.sum(x) + y
        """, "srcdiff.jvp(f, (X.astype(np.float32), 0.4), (X.astype(np.float32), 1.0))", ("dtype", "float32"),
        None),

    # an in-place write into a float32 array keeps float32 in NumPy; srcdiff's value is float64
    "float32_inplace_add_of_float64": ("""
        def f(x):
            a = x.copy()
            a += ARR
            return np.sum(a)
        """, "srcdiff.value_and_grad(f)(X.astype(np.float32))", ("dtype", "float32"), None),
    # an if whose sides give float64 and float32: jacrev float64 (grad float32)
    "float32_jacrev_of_branches_of_two_dtypes": ("""
        def f(x):
            if np.sum(x) > 0.0:
                a = np.maximum(ARR * x[1], 0.7)[0]
            else:
                a = x[-1]
            return (x + a)[-1]
        """, "srcdiff.jacrev(f)(np.array([0.89, -0.15, -0.3], dtype=np.float32))", ("dtype", "float32"),
        None),
    # a Python float argument after a power: value_and_grad's value float64 where f gives float32
    "float32_value_of_a_power_minus_a_python_float": ("""
        def f(x, c):
            return np.sum(x) ** 2.0 - c
        """, "srcdiff.value_and_grad(f)(X.astype(np.float32), 0.3)[0]", ("dtype", "float32"),
        None),
    # np.max in a loop: jacfwd float64 (jvp float32)
    "float32_jacfwd_of_max_in_a_loop": ("""
        def f(x):
            s = x[1]
            for i in range(2):
                s = s + np.max(x)
            return s
        """, "srcdiff.jacfwd(f)(X.astype(np.float32))", ("dtype", "float32"), None),

    # --- float32 x with a Python float y (survey of 2026-12-02): every Jacobian block in JAX's dtype
    # a gradient folded to a constant: 0.5 * np.float32(1.0) became the Python float 0.5
    "float32_jacrev_of_a_folded_constant": (_FOLDED_GRADIENT, "srcdiff.jacrev(f)(np.float32(0.0))", ("dtype", "float32"),
                                            None),
    "float32_jvp_of_a_constant_grad": (_FOLDED_GRADIENT,
                                       "srcdiff.jvp(srcdiff.grad(f), (np.float32(0.0),), (np.float32(1.0),))",
                                       ("dtype", "float32"), None),
    # a loop turning 0.0 into a float32 array: its dtype is unknown, not float64
    "jacrev_wrt_a_python_float_after_a_while": ("""
        def f(x, y):
            a = 0.0
            i = 0
            while i < 1:
                a = 0.5 * a + x
                i = i + 1
            return y * -0.7 * np.sin(a[-1])
        """, "srcdiff.jacrev(f, argnums=1)(X.astype(np.float32), 0.4)", ("dtype", "float64"), None),
    "jacrev_wrt_a_python_float_after_a_branch_in_a_loop": ("""
        def f(x, y):
            d = 0.0
            for i in range(2):
                if np.sum(x) > 0.0:
                    d = d + np.sum(x * y)
                else:
                    d = d + 1.0
            return d
        """, "srcdiff.jacrev(f, argnums=(0, 1))(X.astype(np.float32), 0.4)[1]", ("dtype", "float64"), None),
    # Hessian block (i, j) has input i's dtype: d/dx of df/dy is float64 for a Python float y
    "hessian_zero_block_of_a_python_float_row": ("""
        def f(x, y):
            a = x * ARR
            return y + y
        """, "srcdiff.hessian(f, argnums=(0, 1))(X.astype(np.float32), 0.4)[1]", ("dtype", "float64"), None),
    "hessian_block_of_a_python_float_row": ("""
        def f(x, y):
            return np.sum(x * x) * y * y + y
        """, "srcdiff.hessian(f, argnums=(0, 1))(X.astype(np.float32), 0.4)[1]", ("dtype", "float64"), None),
    "hessian_block_of_a_float32_row": ("""
        def f(x, y):
            return np.sum(x * x) * y * y
        """, "srcdiff.hessian(f, argnums=(0, 1))(X.astype(np.float32), 0.4)[0]", ("dtype", "float32"), None),
    # jacfwd's direction for a Python float y was a float64 0-d array, which made x's block float64
    "jacfwd_python_float_direction": ("""
        def f(x, y):
            a = np.asarray(x)
            a[-1] = np.tanh(y)
            return np.sum(a) + y
        """, "srcdiff.jacfwd(f, argnums=(0, 1))(X.astype(np.float32), 0.4)[0]", ("dtype", "float32"), None),
    # np.abs of a Python float was emitted as np.abs(k), a float64 NumPy scalar
    "jacrev_with_abs_of_a_python_float": ("""
        def f(x, k):
            return np.sum(x * abs(k))
        """, "srcdiff.jacrev(f)(X.astype(np.float32), 0.7)", ("dtype", "float32"), None),

    # a gradient inside a differentiated function, through a loop taking a min: the inlined
    # gradient's loop records the min and nothing else reads it there, so the shift analysis
    # (no derivative through a softmax's max) took it for a shift and held it: 0 for 4
    "grad_of_an_inner_grad_through_a_loop_min": ("""
        def g(x):
            a = x * 0.0
            for i in range(2):
                a = a + min([2.0, 1, x]) ** 2
            return a

        def f(x):
            return srcdiff.grad(g)(x) * 0.5
        """, "srcdiff.grad(f)(0.36)", 2.0, None),
    # k ** 2 / 3 of a Python float k is a Python float; its aval said a NumPy float64, so
    # jacfwd cast its float32 columns to float64
    "float32_jacfwd_with_a_quotient_of_python_floats": ("""
        def f(x, k):
            return np.sum(np.sin(x ** 3)) + k ** 2 / 3
        """, "srcdiff.jacfwd(f)(X.astype(np.float32), 0.7)", ("dtype", "float32"), None),
    # a loop appending a float64 array to a list of float32 ones: the merge of the two lists took
    # the dtype of neither, and the next pass read that as an empty list's, taking float32
    # for the float64 items: jacrev float64
    "float32_jacrev_of_a_list_of_two_dtypes": ("""
        def f(x):
            l0 = [x / 3]
            for i in range(2):
                if np.sum(ARR * x[1] * i) > 0.7:
                    l0.append(x + x[0])
                else:
                    l0.append(ARR * 2 * x)
            return np.tanh(np.sum(np.array(l0)))
        """, "srcdiff.jacrev(f)(np.array([0.912, -0.5846, 0.6569], dtype=np.float32))", ("dtype", "float32"),
        None),
    # a list that holds a float32 or a float64 item by the branch taken: its aval said the
    # promotion (float64), so where the float32 side ran, nothing cast the Hessian's y rows
    "hessian_of_a_list_whose_item_dtype_depends_on_the_branch": ("""
        def f(x, y):
            l0 = [x - 2]
            for i in range(1):
                if np.sum(x) > 0.3:
                    l0.append(x)
                else:
                    l0.append(ARR * 2.0)
            b = np.sum(l0, axis=0)
            return (x[1] - b[0]) ** 3 + y
        """, "srcdiff.hessian(f, argnums=(0, 1))(np.array([0.64, 0.0, -0.27], dtype=np.float32), 0.33)[1]",
        ("dtype", "float64"), None),
    # max of Python floats was emitted as np.maximum, a float64 NumPy scalar that made f's
    # float32 value float64 (Python's max gives a Python float)
    "float32_value_with_max_of_python_floats": ("""
        def f(x, y):
            return np.sum(x) + max(0.5, max(y, 1.3))
        """, "srcdiff.value_and_grad(f)(X.astype(np.float32), 0.9)", ("dtype", "float32"), None),
    "float32_jvp_with_min_of_python_floats": ("""
        def f(x, y):
            return np.sum(x) * min(y, 1.3)
        """, "srcdiff.jvp(f, (X.astype(np.float32), 0.9), (X.astype(np.float32), 1.0))", ("dtype", "float32"),
        None),
    # reverse over reverse of np.dot of an operand whose rank is known only when running: the
    # adjoint of a product of unknown ranks had no adjoint of its own ("no reverse-mode rule")
    "jacrev_grad_dot_of_unknown_rank": ("""
        def f(x):
            a = 0.0
            i = 0
            while i < 2:
                a = a + ARR * x * x
                i = i + 1
            return np.dot(np.array([1.0, 0.5, 2.0]), np.sin(a))
        """, "srcdiff.jacrev(srcdiff.grad(f))(0.3)",
        # sum_i w_i (cos(2 ARR_i x^2) 4 ARR_i - sin(2 ARR_i x^2) (4 ARR_i x)^2) at x = 0.3
        11.036913107120975, None),

    # --- complex inputs: refused in every mode, or right
    "complex_vjp": ("""
        def f(x):
            return x * x
        """, "srcdiff.vjp(f, 1.0 + 2.0j)[1](1.0)", ("right or refuse", (2.0 + 4.0j,)), None),
    "complex_jvp_real_tangent": ("""
        def f(x):
            return x * x
        """, "srcdiff.jvp(f, (1.0 + 2.0j,), (1.0,))", ("right or refuse", (-3.0 + 4.0j, 2.0 + 4.0j)),
        None),
    "complex_jvp_complex_tangent": ("""
        def f(x):
            return x * x
        """, "srcdiff.jvp(f, (1.0 + 2.0j,), (1.0j,))", ("right or refuse", (-3.0 + 4.0j, -4.0 + 2.0j)),
        None),

    # --- tuple argnums (JAX: a tuple of Jacobians, a nested tuple of Hessian blocks)
    "jacfwd_tuple_argnums": ("""
        def f(x, y):
            return x * y
        """, "srcdiff.jacfwd(f, argnums=(0, 1))(2.0, 3.0)", ("right or refuse", (3.0, 2.0)), None),
    "hessian_tuple_argnums": ("""
        def f(x, y):
            return x * x * y
        """, "srcdiff.hessian(f, argnums=(0, 1))(2.0, 3.0)", ("right or refuse", ((6.0, 4.0), (4.0, 0.0))), None),

    # --- a loop's value the path taken never reads (higher-order tester, seed 4747): the loop
    # overflowed on the way forward, the if's backward branch gave its adjoint zeros, and the
    # backward sweep multiplied them by inf partials: nan for (0.5, 0.5, 0.5). The sweep now
    # runs under the if's test, on the side that read the loop only.
    "loop_overflowed_on_a_path_not_taken": ("""
        def f(x):
            a = x * 1.0
            for i in range(12):
                a = a + a ** 3
            if x[0] > 0.0:
                a = x * 0.5
            return np.sum(a)
        """, "srcdiff.grad(f)(np.array([0.8, -0.6, 0.4]))", np.array([0.5, 0.5, 0.5]), None),
    "loop_overflowed_on_a_path_not_taken_hessian": ("""
        def f(x):
            a = x * 1.0
            for i in range(12):
                a = a + a ** 3
            if x[0] > 0.0:
                a = x * x * 0.5
            return np.sum(a)
        """, "srcdiff.hessian(f)(np.array([0.8, -0.6, 0.4]))", np.eye(3), None),
}


def failure(name, directory=None):
    """None if srcdiff gets the repro right, else a message saying what it did instead."""
    source, check, expected, _ = REPROS[name]
    directory = directory or tempfile.mkdtemp(prefix="srcdiff_higher_repro_")
    path = os.path.join(directory, f"higher_repro_{name}.py")
    module = import_file(path, PRELUDE + textwrap.dedent(source).lstrip("\n"), f"higher_repro_{name}")
    scope = dict(vars(module), srcdiff=srcdiff, np=np, X=np.array([0.3, -0.5, 0.8]))
    refuse_ok = _is(expected, "refuse") or (isinstance(expected, tuple) and _is(expected[0], "right or refuse"))
    try:
        got = eval(check, scope)  # noqa: S307  (the check is this file's own text)
    except srcdiff.SrcdiffError as e:
        if refuse_ok and "internal error" not in str(e) and e.loc is not None and re.search(r"\S+:\d+", str(e)):
            return None
        return f"{type(e).__name__}: {e}"
    except TypeError as e:
        if refuse_ok:
            return None
        return f"TypeError: {e}"
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    if _is(expected, "refuse"):
        return f"returned {got!r} instead of refusing"
    if isinstance(expected, tuple) and _is(expected[0], "dtype"):
        leaves = _leaves(got)
        bad = [str(np.asarray(v).dtype) for v in leaves if np.asarray(v).dtype != np.dtype(expected[1])]
        return f"dtype {', '.join(bad)}, expected {expected[1]}" if bad else None
    if isinstance(expected, tuple) and _is(expected[0], "right or refuse"):
        expected = expected[1]
    return _mismatch(got, expected)


def _is(value, word):
    return isinstance(value, str) and value == word


def _leaves(v):
    return [leaf for item in v for leaf in _leaves(item)] if isinstance(v, tuple) else [v]


def _mismatch(got, expected):
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return f"returned {got!r}, expected a tuple of {len(expected)}"
        for g, e in zip(got, expected):
            bad = _mismatch(g, e)
            if bad:
                return bad
        return None
    if isinstance(got, tuple) or np.shape(got) != np.shape(expected):
        return f"returned {got!r} of shape {np.shape(got)}, expected shape {np.shape(expected)}"
    if not np.allclose(np.asarray(got), expected, rtol=1e-7, atol=1e-9):
        return f"returned {got!r}, expected {expected!r}"
    return None
