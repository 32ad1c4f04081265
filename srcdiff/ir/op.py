"""What every operation in the IR declares: a primitive (prims/core.py), a region (cond,
for, while: ir/regions.py) and a call (ir/calls.py) share this base, so a pass or the
code generator reads a fact about any equation's operation as an attribute, with the
default here when the operation does not declare it.

    name              how the IR printer shows it
    nout, arity(eqn)  how many values it makes
    impl              evaluation, for constant folding (None: not folded)
    shape             (avals, params) -> its outs' avals
    jvp, vjp          the derivative rules (prims/core.py says their signatures)
    batch             the batching rule, for vmap (prims/batching.py says its signature; None: the
                      operation runs once per item of a batch, in a loop)
    differentiable    whether derivatives flow through it at all
    emit              (operand sources, params) -> a Python expression
    emit_stmts        (out name, operand sources, params) -> statements, where one expression is not enough
    inplace, copy     statements that change its first operand in place, and how to copy that
                      operand first where it may not be changed (both or neither)
    helper_source     a helper function the emitted module defines for it, and helper_name its name
    imports           the modules its emitted code names beyond NumPy and math ("scipy.linalg"):
                      the emitted module imports each (import scipy.linalg) where the op is used
    on_python_floats  its spelling on Python floats: a name (math.cos, abs, max) or a template ({0})
    on_numba          its spelling in numba's nopython mode where numba does not compile the NumPy one,
                      or compiles it slowly: (operand sources, params, operand avals) -> an expression,
                      or (expression, sources of the helper functions it calls), or None where the
                      NumPy spelling serves (codegen/numba.py)
    hoistable         it cannot raise, so it may run before a loop that might not run
    fresh             its result is a new object no one else holds (may be changed in place); for
                      an op of several results, a tuple saying it per result (a list's pop makes a
                      new list, but its last item is the item the list held)
    view              its result may be its first operand's memory: False, True, or a
                      function of the equation giving True, False or None (not known)
    effect            it does something beyond its result (raises, prints): kept though unread
    observable        what it does is seen outside (a print, a warning): a call of the emitted code
                      that may have done it is not run again (on NumPy scalars after Python floats)
    takes_lists       its operands may be list values
    recomputable      cheap enough that a backward sweep recomputes it instead of recording it
    commutative       op(a, b) is op(b, a): a rewrite rule's pattern matches its operands either way
    shift             how it carries a shift c of its operands (transforms/shift.py, which holds a
                      softmax's stabilising max): "add", "subtract", "multiply", "divide",
                      "negate", "exp", "log" (c moves the result), "sum", "extremum" (reductions;
                      an extremum is also where a stabilising shift comes from), "index",
                      "new axes", "invariant" (the result does not move); None: not known
    same_for_items    its result is the same for every item of a batch (a shape, a list's length): what
                      is computed from it alone does not vary with the batch (transforms/batching.py)
    fill              the one number every element of its result is (np.zeros: 0.0), or None: a
                      batch of copies of such a value is made the same way (np.zeros((5, 3)))
    complex_ok        its rules hold for complex operands and results (grammar.md "complex values":
                      a complex value's cotangent is dL/da + i dL/db, its tangent da + i db), so it may
                      take or make complex values on a differentiated path: False, True, or a
                      function of the equation giving True or False (x ** k for a known integer k)
"""


class Op:
    name = "op"
    nout = 1
    impl = None
    shape = None
    jvp = None
    vjp = None
    batch = None
    differentiable = True
    emit = None
    emit_stmts = None
    inplace = None
    copy = None
    helper_source = None
    helper_name = None
    imports = ()
    on_python_floats = None
    on_numba = None
    hoistable = False
    fresh = False
    view = False
    effect = False
    observable = False
    takes_lists = False
    recomputable = False
    commutative = False
    shift = None
    same_for_items = False
    fill = None
    complex_ok = False

    def arity(self, eqn):
        return self.nout
