"""IR -> Python source that reads like hand-written NumPy.

User names are kept, adjoints are called after them (dh, dscores), a
temporary used once is written inline where it is used, and a name whose
value is no longer needed is given to the next value of the same name, so a
loop reads `x = x - 0.01 * (x ** 3 - a)` rather than juggling versions."""
import ast
import copy
import builtins
import inspect
import keyword
import textwrap

import astor
import numpy as np

from .. import naming
from ..errors import SrcdiffError
from ..source import parse_function
from ..ir import COND, FOR, WHILE, Const, Function, Var, same_dtype
from ..ir.calls import targets
from ..ir.regions import carried_count, has_effect, loop_parts
from ..prims.elementwise import ADD, BINARY
from ..prims.linalg import DOT, MATMUL
from ..prims.core import STACK_LIST
from ..prims.lists import LIST_ITEM
from ..prims.syntax import src
from ..prims.tapes import TAPE
from .floats import ARITHMETIC
from .floats import integral_powers, python_floats as python_floats_of
from .plan import Plan

PLACEHOLDER = "_srcdiff_arg{}_"
RESERVED = {"np", "math", "scipy", "warnings"} | set(dir(builtins))  # and the modules primitives import


class Emitted:
    """A module's source and what exec needs beyond NumPy (global arrays by name)."""

    def __init__(self, source, name, constants, float_results=(), floats_safe=True):
        self.source = source
        self.name = name
        self.constants = constants
        self.float_results = float_results  # per result, whether it is surely a Python float
        # whether Python float arguments give what NumPy scalars would, or raise: every power
        # has an integer exponent ((-8.0) ** 0.5 is complex in Python, nan in NumPy)
        self.floats_safe = floats_safe

    def load(self):
        return self.namespace()[self.name]

    def namespace(self):
        namespace = dict(self.constants)
        if getattr(self, "_code", None) is None:
            self._code = compile(self.source, f"<srcdiff {self.name}>", "exec")
        exec(self._code, namespace)
        return namespace

    def with_constants(self, updates):
        """The same module with some of the objects it names replaced (a captured array, read
        when the derivative is called: srcdiff/cache.py); compiled once, run again."""
        new = copy.copy(self)
        new.constants = {**self.constants, **updates}
        new._code = getattr(self, "_code", None)
        return new

    def standalone(self):
        """The module with what it refers to by name written into it: a global array as a
        literal, a custom rule's functions by their source, or imported from their module
        where they read other names of it (a rule calling the function it is the rule of).
        Runs with only NumPy, and those modules."""
        parts = []
        for name, value in self.constants.items():
            if isinstance(value, np.ndarray):
                parts.append(f"{name} = np.array({value.tolist()!r}, dtype=np.{value.dtype.name})")
            elif callable(value):
                parts.append(_definition(name, value, set(self.constants)))
            else:
                parts.append(f"{name} = {value!r}")
        if not parts:
            return self.source
        head, rest = self.source.split("\n\n\n", 1)
        return head + "\n\n\n" + "\n\n\n".join(parts) + "\n\n\n" + rest


def _spelled(spelling, args):
    """A Python-float spelling: a function's name (math.cos), or a template ({0} the operand)."""
    return spelling.format(*args) if "{0}" in spelling else f"{spelling}({', '.join(args)})"


def _definition(name, fn, defined):
    """The source of a function the module calls, defining it under the module's name for
    it: a def as written when the names agree, renamed when they do not, a lambda as
    `name = lambda ...`; an import from its module when it reads names of that module the
    emitted one does not define."""
    node = parse_function(fn).node
    if _free_names(node) - defined - RESERVED - {name}:
        module = getattr(fn, "__module__", None)
        original = getattr(fn, "__name__", "")
        if not module or module == "__main__" or not original.isidentifier():
            raise SrcdiffError(
                f"the derivative calls {original or name}, which reads names of the script it is defined in, so "
                "the module srcdiff writes cannot define it on its own", None,
                "define the rule in a module the written one can import, or have it read only NumPy.")
        return f"from {module} import {original}" + (f" as {name}" if name != original else "")
    if isinstance(node, ast.Lambda):
        return astor.to_source(ast.Assign([ast.Name(name, ast.Store())], node)).strip()
    if node.name == name:
        return textwrap.dedent(inspect.getsource(fn)).strip()
    node.name = name
    return astor.to_source(node).strip()


def emit_module(fn: Function, also=(), python_floats=False, writer=None) -> Emitted:
    """The module: NumPy, the helpers used, the functions a recursion calls, then `also`
    and fn. With python_floats, fn's arguments are Python numbers, and functions of its
    floats are called from math (math.cos(x2)), ten times cheaper than NumPy on a float;
    None when that changes nothing or an argument is an array. writer: the class writing
    each function (codegen/numba.py's, for numba's nopython mode)."""
    writer_class = writer or _Writer
    _distinct_names([*also, fn])
    floats = python_floats_of(fn) if python_floats else set()
    if python_floats and not (floats and all(p.aval.kind == "scalar" for p in fn.params)):
        return None  # where arrays do the work, scalar spellings gain nothing worth a second codegen
    functions, helpers, modules = [], set(), set()
    uses_math = specialised = False
    called = [t.function for root in [*also, fn] for t in targets(root)]
    written = list({id(f): f for f in called + list(also) + [fn]}.values())
    globals_ = _Globals(written)
    for f in written:
        writer = writer_class(f, floats if f is fn else set(), globals_, {g.name for g in written})
        functions.append(astor.to_source(writer.function(), pretty_source="".join))
        helpers |= writer.helpers
        modules |= writer.imports
        uses_math |= writer.uses_math
        specialised = writer.specialised
    if python_floats and not specialised:
        return None
    code = "".join(h + "\n\n\n" for h in sorted(helpers)) + "\n\n".join(functions)
    imports = ["import math"] if uses_math else []
    if not python_floats or "np." in code:
        imports.append("import numpy as np")
    imports += [f"import {module}" for module in sorted(modules)]  # an Op's imports (scipy.special, warnings)
    # a call that printed is not run again on NumPy scalars (prims/effects.py: observable)
    seen = any(has_effect(e, "observable") for f in written for e in f.body.eqns)
    return Emitted("\n\n".join(imports) + "\n\n\n" + code, fn.name, globals_.values, writer.float_results,
                   not seen and all(integral_powers(f.body) for f in written))


class _Globals:
    """The module's names for the values its code refers to by name: a global array of the
    user's (W), a custom rule's function, a constant array too large to write out. Each is
    an identifier, each value has one, no two values share one (two modules' globals both
    called W, two lambdas), and none is a name the module defines (its functions, its
    helpers), needs (np, math, the builtins) or gives a parameter (a helper's global W
    beside the caller's argument W)."""

    def __init__(self, functions):
        self.values = {}  # name -> value: the module's namespace beyond NumPy
        self._names = {}  # id(value) -> name
        self._taken = set(RESERVED) | {f.name for f in functions} | {p.hint for f in functions for p in f.params}
        for f in functions:
            for eqn in _all_eqns(f.body):
                if eqn.prim.helper_name:
                    self._taken.add(eqn.prim.helper_name)
        for f in functions:
            for a in _all_atoms(f.body):
                if isinstance(a, Const) and _by_name(a):
                    self.name_of(a)

    def name_of(self, c: Const):
        name = self._names.get(id(c.value))
        if name is None:
            base = _identifier(c.name or "const")
            name, n = (base, 0) if c.name else (base + "_1", 1)  # W, W_1, ...; const_1, const_2, ...
            while name in self._taken or keyword.iskeyword(name):
                n += 1
                name = naming.numbered(base, n)
            self._taken.add(name)
            self._names[id(c.value)] = name
            self.values[name] = c.value
        return name


def _distinct_names(roots):
    """Every function of the module under a name of its own, which its callers call it by:
    functions made apart (a recursion's inner target and the function itself, a derivative
    written inside another) may have been given the same name."""
    taken = {f.name for f in roots}
    seen = set()
    for root in roots:
        for t in targets(root):
            if id(t) in seen:
                continue
            seen.add(id(t))
            base, k = t.name, 1
            while t.name in taken:
                k += 1
                t.name = naming.numbered(base, k)
            taken.add(t.name)
            t.function.name = t.name


class _Writer:
    def __init__(self, fn: Function, floats=frozenset(), globals_=None, functions=frozenset()):
        self.fn = fn
        self.floats = floats  # ids of the values that are Python floats when the function runs
        self.uses_math = False
        self.specialised = False  # whether python_floats changed anything
        self.plan = Plan(fn)
        self.helpers = set()
        self.imports = set()  # modules beyond NumPy the code names (an Op's imports: scipy.linalg)
        self.globals = globals_ or _Globals([fn])
        self.exprs = {}  # var id -> expression AST, for values written inline
        self.names = {}  # var id -> name
        self.holder = {}  # name -> id of the variable whose value it holds now
        self.preferred = {}  # var id -> (name, its holder now, a variable that must be dead first, keep holder)
        self.save_to = {}  # var id -> names of the lists a loop records it in
        self.offsets = {}  # list id -> how far its items are from the iteration number (see _merged_saves)
        self.trims = {}  # list id -> the slice of its merged list that holds its items
        # a variable never takes the name of a function of the module (the result of a call to
        # halve is not named halve, which the next call would then read)
        self.reserved = set(RESERVED) | set(self.globals.values) | set(functions)

    def function(self):
        fn = self.fn
        # strictly: an unused parameter's name is not free for the next one (def f_bwd(tape, g, g))
        args = [self.bind(p, self.var_name(p, "arg"), at=-1, strict=True) for p in fn.params]
        body = [ast.Expr(ast.Constant(fn.doc))] if fn.doc else []
        body += self.block(fn.body.eqns)
        # which results are Python floats (with python_floats), so a caller need not convert them
        self.float_results = [isinstance(r, Var) and r.id in self.floats
                              or isinstance(r, Const) and type(r.value) is float for r in fn.body.results]
        results = [self.atom(r) for r in fn.body.results]
        self._name_tape_items()
        value = results[0] if len(results) == 1 else ast.Tuple(results, ast.Load())
        body.append(ast.Return(value))
        arguments = ast.arguments(
            posonlyargs=[], args=[ast.arg(a) for a in args], vararg=None, kwonlyargs=[],
            kw_defaults=[], kwarg=None, defaults=[],
        )
        return ast.fix_missing_locations(ast.FunctionDef(fn.name, arguments, body, [], None))

    def _name_tape_items(self):
        """The names this function gives what it keeps on a tape, for the function that reads
        the tape to call the items by (written after it: a call's forward version first)."""
        for eqn in _all_eqns(self.fn.body):
            out = eqn.outs[0] if eqn.outs else None
            if (eqn.prim is TAPE and getattr(eqn.params["_layout"], "names", None) is None
                    and out.adjoint_of is None and out.partial_of is None and out.tangent_of is None):
                eqn.params["_layout"].names = [self.names.get(a.id) if isinstance(a, Var) else None
                                               for a in eqn.ins]

    # -- names -------------------------------------------------------------------

    def available(self, name, at, strict):
        if name in self.reserved or keyword.iskeyword(name):
            return False
        holder = self.holder.get(name)
        if holder is None:
            return True
        last = self.plan.last_use.get(holder, -1)
        return last < at if strict else last <= at

    def bind(self, var, base, at, strict=False):
        """Name var: its preferred name if it can take it over, else base, base_1, …,
        reusing a name whose value is dead by `at` (strictly before, for statements
        that assign before they finish reading)."""
        pref = self.preferred.pop(var.id, None)
        if pref is not None:
            name, giver, live, keep = pref
            last = self.plan.last_use.get(live, -1) if live is not None else -1
            if self.holder.get(name) == giver and (last < at or (last == at and not strict)):
                if keep:  # a branch writes the cond's out early: the out keeps holding the name
                    self.names[var.id] = name
                    return name
                return self._take(var, name)
        base = _identifier(base)
        name, n = base, 0
        while not self.available(name, at, strict):
            n += 1
            name = naming.numbered(base, n)
        return self._take(var, name)

    def _take(self, var, name):
        self.names[var.id] = name
        self.holder[name] = var.id
        return name

    def var_name(self, var, fallback):
        """The user's name, d<name> for an adjoint, else the fallback."""
        if var.hint:
            return var.hint
        for primal in (var.adjoint_of, var.partial_of):
            if primal is not None and (primal.id in self.names or primal.hint):
                return naming.adjoint(self.names.get(primal.id, primal.hint))
        primal = var.tangent_of
        if primal is not None and (primal.id in self.names or primal.hint):
            return naming.tangent(self.names.get(primal.id, primal.hint))
        return fallback

    def temp_name(self, eqn):
        named = self.var_name(eqn.outs[0], "") or self.prim_name(eqn)
        if named:
            return named
        operand = next((a for a in eqn.ins if isinstance(a, Var) and a.id in self.names), None)
        if operand is not None:
            return f"{eqn.prim.name}_{self.names[operand.id]}"
        return eqn.prim.name

    def prim_name(self, eqn):
        """Names a person would give: X_t for X[t], n for X.shape[0], the forward name for a
        value a loop recorded and the backward sweep reads back."""
        name = eqn.prim.name
        ins = eqn.ins
        if name == "list_item" and "_of" in eqn.params:
            return self.names.get(eqn.params["_of"].id, "")
        if name == "tape_item":
            return self._tape_item_name(eqn)
        if name == "stack_list":
            recorded = self._recorded_name(ins[0])
            return recorded and naming.steps(recorded)
        if name == "getitem" and eqn.params.get("index") == (slice(None, None, -1),) and isinstance(ins[0], Var):
            made = self.plan.owner.get(ins[0].id)  # X[::-1], np.stack(h_saved)[::-1]: X_reversed, h_reversed
            rows = self.names.get(ins[0].id) or (made is not None and made.prim is STACK_LIST
                                                 and self._recorded_name(made.ins[0]))
            return rows and naming.reversed_rows(rows)
        if name == "transpose" and isinstance(ins[0], Var):
            if ins[0].id in self.names:
                return naming.transposed(self.names[ins[0].id])
            made = self.plan.owner.get(ins[0].id)  # np.stack(h_saved).T written inline: h_steps_T
            recorded = made is not None and made.prim is STACK_LIST and self._recorded_name(made.ins[0])
            if recorded:
                return naming.transposed(naming.steps(recorded))
        if name == "tuple_item" and isinstance(ins[0], Var) and ins[0].aval.kind == "tuple":
            return {0: "n", 1: "m"}.get(eqn.params["i"], f"dim{eqn.params['i']}")
        if name == "getitem" and isinstance(ins[0], Var) and ins[0].id in self.names and len(ins) == 2:
            index = ins[1]
            if isinstance(index, Var) and index.id in self.names and index.aval.ndim == 0:
                return f"{self.names[ins[0].id]}_{self.names[index.id]}"
        return ""

    def _tape_item_name(self, eqn):
        """tape[i] by the name the forward version gave item i (d<name> read from the tape's
        adjoint, <name>_dot from its tangent)."""
        names = getattr(eqn.params["_layout"], "names", None)
        item = names and names[eqn.params["i"]]
        tape = eqn.ins[0]
        if not item or not isinstance(tape, Var):
            return ""
        if tape.adjoint_of is not None or tape.partial_of is not None:
            return naming.adjoint(item)
        return naming.tangent(item) if tape.tangent_of is not None else item

    def _recorded_name(self, stack):
        """h for the list h_saved, which records h: np.stack of it is h_steps."""
        return naming.recorded(self.names.get(getattr(stack, "id", None), ""))

    # -- blocks ------------------------------------------------------------------

    def block(self, eqns):
        stmts = []
        for eqn in eqns:
            if eqn.prim is COND:
                stmts += self.cond(eqn)
            elif eqn.prim in (FOR, WHILE):
                stmts += self.loop(eqn)
            else:
                stmts += self.statements(eqn)
            for o in eqn.outs:
                stmts += self.record(o)
        return stmts

    def _spelling(self, eqn, operands):
        """prim.emit, or its math function on a Python float. Python float arithmetic stays
        Python float arithmetic, with float constants (2.0 * x: Python's float * float is
        faster than int * float; the int operands are respelled in `operands`) and x * x for
        x ** 2. A @ B of vectors and matrices is A.dot(B), the same product with a
        microsecond less of NumPy's overhead."""
        if eqn.prim is MATMUL and all(a.aval.kind == "array" and a.aval.ndim in (1, 2) for a in eqn.ins):
            return DOT.emit
        spelling = eqn.prim.on_python_floats
        if eqn.outs[0].id not in self.floats:
            if spelling is not None and eqn.outs[0].aval.kind == "scalar" and all(
                    a.aval.kind == "scalar" for a in eqn.ins):
                # a Python number's abs is a Python number, as its aval says (np.abs(k) is a
                # NumPy scalar, which would make a float32 array it multiplies float64)
                self.uses_math |= "math." in spelling
                return lambda args, params: _spelled(spelling, args)
            return eqn.prim.emit
        if eqn.prim is BINARY["pow"] and isinstance(eqn.ins[1], Const) and eqn.ins[1].value == 2 \
                and isinstance(operands[PLACEHOLDER.format(0)], ast.Name):
            self.specialised = True  # x * x: a third of x ** 2's time, and correctly rounded
            return lambda args, params: f"{args[0]} * {args[0]}"
        if eqn.prim in ARITHMETIC:
            operand_count = 1 if eqn.prim is BINARY["pow"] else len(eqn.ins)  # x ** 3 keeps its int exponent
            for i, a in enumerate(eqn.ins[:operand_count]):
                if isinstance(a, Const) and type(a.value) is int and not a.name:
                    operands[PLACEHOLDER.format(i)] = ast.Constant(float(a.value))
                    self.specialised = True
        if spelling is None:
            return eqn.prim.emit
        self.specialised = True
        self.uses_math |= "math." in spelling
        return lambda args, params: _spelled(spelling, args)

    def record(self, var):
        """var.append for each list a loop keeps var's per-iteration values in."""
        return [self._append(stack, self.names[var.id]) for stack in self.save_to.get(var.id, ())]

    def _append(self, stack, value):
        return ast.parse(f"{stack}.append({value})").body[0]

    def _new_record(self, loop, stack, name, start):
        """The statements making the list a loop records a value in: [start] or []."""
        return [ast.parse(f"{name} = [{start}]").body[0]]

    def statements(self, eqn):
        prim = eqn.prim
        if prim.helper_source:
            self.helpers.add(prim.helper_source)
        self.imports.update(prim.imports)
        at = self.plan.pos[id(eqn)]
        args = [PLACEHOLDER.format(i) for i in range(len(eqn.ins))]
        operands = {PLACEHOLDER.format(i): self.atom(a) for i, a in enumerate(eqn.ins)}
        if prim is LIST_ITEM and isinstance(eqn.ins[0], Var) and eqn.ins[0].id in self.offsets:
            index = PLACEHOLDER.format(1)
            operands[index] = ast.BinOp(operands[index], ast.Add(), ast.Constant(self.offsets[eqn.ins[0].id]))
        if prim is STACK_LIST and eqn.ins[0].id in self.trims:
            trimmed = f"{self.names[eqn.ins[0].id]}[{self.trims[eqn.ins[0].id]}]"
            operands[PLACEHOLDER.format(0)] = ast.parse(trimmed, mode="eval").body
        out = eqn.outs[0]
        if prim.inplace is not None:
            return self.in_place(eqn, args, operands, at)
        if prim.emit_stmts is not None:
            name = self.bind(out, out.hint or self.temp_name(eqn), at, strict=True)
            lines = prim.emit_stmts(name, args, eqn.params)
            return [_substitute(s, operands) for s in ast.parse("\n".join(lines)).body]
        spelling = self._spelling(eqn, operands)
        expr = _substitute(ast.parse(spelling(args, eqn.params), mode="eval").body, operands)
        if out.id in self.plan.inline:
            self.exprs[out.id] = expr
            return []
        if prim.effect and not self.plan.use_count.get(out.id):
            return [ast.Expr(expr)]  # done for what it does (_scalar_seed(d) raises for an array)
        if len(eqn.outs) == 1:
            accumulates = self._accumulates(eqn, at)  # before bind takes out's preferred name
            name = self.bind(out, out.hint or self.temp_name(eqn), at)
            if accumulates:  # dW = dW + g on an array no one else holds: dW += g
                return [ast.AugAssign(ast.Name(name, ast.Store()), ast.Add(), operands[PLACEHOLDER.format(1)])]
            return [ast.Assign([ast.Name(name, ast.Store())], expr)]
        names = [self.bind(o, self.var_name(o, f"{prim.name}_out") if self.plan.use_count.get(o.id) else "_", at)
                 for o in eqn.outs]  # w, _ = np.linalg.eigh(A): an out nothing reads is _, whatever its name
        target = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())
        return [ast.Assign([target], expr)]

    def _accumulates(self, eqn, at):
        """a + b whose result takes a's name (a loop's running total) and may overwrite a's
        array: same shape and dtype, and a is owned and not read afterwards."""
        if eqn.prim is not ADD:
            return False
        a, out = eqn.ins[0], eqn.outs[0]
        pref = self.preferred.get(out.id)
        return (isinstance(a, Var) and pref is not None and pref[0] == self.names.get(a.id)
                and self.holder.get(pref[0]) == pref[1] and a.aval.kind == "array" and a.aval.known_shape
                and a.aval.shape != () and a.aval.shape == out.aval.shape
                and same_dtype(a.aval.dtype, out.aval.dtype) and self.can_mutate(a, at))

    def in_place(self, eqn, args, operands, at):
        """An operation that changes its first operand: done on that very object when
        nothing reads it afterwards and nobody else holds it, on a copy otherwise."""
        target, out = eqn.ins[0], eqn.outs[0]
        stmts = []
        if self.can_mutate(target, at):
            name = self._take(out, self.names[target.id])
        else:
            name = self.bind(out, self.var_name(out, getattr(target, "hint", "") or eqn.prim.name), at, strict=True)
            copy = ast.parse(eqn.prim.copy.format(PLACEHOLDER.format(0)), mode="eval").body
            stmts.append(ast.Assign([ast.Name(name, ast.Store())], _substitute(copy, operands)))
        if len(eqn.outs) == 1:
            lines = eqn.prim.inplace(name, args, eqn.params)
        else:
            names = [name] + [self.bind(o, self.var_name(o, eqn.prim.name), at, strict=True) for o in eqn.outs[1:]]
            lines = eqn.prim.inplace(names, args, eqn.params)
        operands = dict(operands, **{PLACEHOLDER.format(0): ast.Name(name, ast.Load())})
        return stmts + [_substitute(s, operands) for s in ast.parse("\n".join(lines)).body]

    def can_mutate(self, var, at):
        plan = self.plan
        return (isinstance(var, Var) and var.id in self.names and var.id in plan.owned
                and var.id not in plan.saved and plan.last_use.get(var.id, -1) <= at
                and all(plan.last_use.get(v, -1) <= at and v not in plan.saved for v in plan.views.get(var.id, ())))

    def atom(self, a):
        if isinstance(a, Var):
            if a.id in self.exprs:
                return self.exprs.pop(a.id)
            return ast.Name(self.names[a.id], ast.Load())
        return self.constant(a)

    def constant(self, c: Const):
        v = c.value
        if c.known and not c.name and _arange(v):  # 0, 1, ..., n - 1 (a batch's rows), as it is spelled
            n = v.shape[0]
            text = f"np.arange({n})" if v.ndim == 1 else f"np.arange({n}).reshape({v.shape!r})"
            return ast.parse(text, mode="eval").body
        if _by_name(c):
            return ast.Name(self.globals.name_of(c), ast.Load())
        if isinstance(v, np.ndarray):
            return ast.parse(f"np.array({v.tolist()!r})", mode="eval").body
        return ast.parse(src(v), mode="eval").body

    def assign_all(self, pairs):
        """name = value for each pair, as one tuple assignment when a later value reads
        a name an earlier assignment changes (x, s = x_new, s + x)."""
        pairs = [(name, self.atom(value)) for name, value in pairs]
        if not pairs:
            return []
        hazard = any(
            any(isinstance(n, ast.Name) and n.id == name for later in pairs[i + 1:] for n in ast.walk(later[1]))
            for i, (name, _) in enumerate(pairs)
        )
        if len(pairs) > 1 and hazard:
            target = ast.Tuple([ast.Name(n, ast.Store()) for n, _ in pairs], ast.Store())
            return [ast.Assign([target], ast.Tuple([e for _, e in pairs], ast.Load()))]
        return [ast.Assign([ast.Name(n, ast.Store())], e) for n, e in pairs]

    # -- regions -----------------------------------------------------------------

    def cond(self, eqn):
        at = self.plan.pos[id(eqn)]
        test = self.atom(eqn.ins[0])
        names = []
        end = self.plan.end[id(eqn)]
        for j, out in enumerate(eqn.outs):
            hint = _identifier(self.var_name(out, next((r.hint for b in eqn.blocks for r in [b.results[j]]
                                                        if isinstance(r, Var) and r.hint), "value")))
            old = self.holder.get(hint)
            if old is not None and hint not in names and self._dead_after(old, eqn, end):
                # the value holding this name is not needed after the if: `dx = dx + g` inside it
                name = self._take(out, hint)
            else:
                name, old = self.bind(out, hint, at, strict=True), None
            names.append(name)
            for b in eqn.blocks:
                r = b.results[j]
                if isinstance(r, Var) and r.id not in self.names and r.id not in self.plan.inline:
                    self.preferred[r.id] = (name, out.id, old, True)  # written early only once `old` is dead
        branches = []
        for k, b in enumerate(eqn.blocks):
            stmts = self.block(b.eqns)
            first_residual = len(eqn.outs) - eqn.params.get("residuals", 0)
            pairs = [(names[j], r) for j, r in enumerate(b.results)
                     if not (isinstance(r, Var) and self.names.get(r.id) == names[j])
                     and not (j >= first_residual and _is_none(r)
                              and not self._read_anyway(eqn.outs[j], eqn.ins[0], made_in=1 - k))]
            branches.append(stmts + self.assign_all(pairs))
        for out, name in zip(eqn.outs, names):  # after the if, the name holds the out, whatever a branch did
            if self.names.get(out.id) == name:
                self.holder[name] = out.id
        then, orelse = branches
        if not then and not orelse:
            return []
        if not then:
            return [ast.If(ast.UnaryOp(ast.Not(), test), orelse, [])]
        return [ast.If(test, then, orelse)]

    def _dead_after(self, var_id, eqn, end):
        """Nothing reads var after this cond, except its own branches passing it on as a result."""
        for position, chain, consumer in self.plan.uses.get(var_id, ()):
            effective = self.plan.effective(var_id, position, chain, consumer)
            if effective <= end:
                continue
            if not (effective == position == end + 0.5 and consumer is None and chain and chain[-1] is eqn):
                return False
        return True

    def _read_anyway(self, out, pred, made_in):
        """Whether a residual is read other than in branch made_in (the one that makes it) of
        a cond on the same predicate (a loop records it, a tape packs it, a branch passes it
        on, the other branch makes the zero derivative of it): then the other branch binds it."""
        if out.id in self.plan.saved or out.id in self.plan.yielded:
            return True
        return not all(any(r.prim is COND and r.ins[0] is pred and self._branch_at(position, r) == made_in
                           for r in chain)
                       for position, chain, _ in self.plan.uses.get(out.id, ()))

    def _branch_at(self, position, cond):
        """Which branch of cond the statement at position is in."""
        first = cond.blocks[0].eqns
        end_of_first = self.plan.end[id(first[-1])] if first else self.plan.pos[id(cond)]
        return 0 if position < end_of_first + 1 else 1

    def loop(self, eqn):
        at = self.plan.pos[id(eqn)]
        is_for = eqn.prim is FOR
        body, params, inits = loop_parts(eqn)
        n = carried_count(eqn)
        before = []
        names = []
        for param, init in zip(params, inits):
            name = self._carried_name(param, init, at, names)
            if param.id in self.plan.copied:  # the loop writes into it: a copy of its own, once
                copy = ast.Call(ast.Attribute(self.atom(init), "copy", ast.Load()), [], [])
                before.append(ast.Assign([ast.Name(name, ast.Store())], copy))
            elif self.names.get(getattr(init, "id", None)) != name:
                before += self.assign_all([(name, init)])
            names.append(name)
        if not is_for:
            for p, name in zip(eqn.blocks[0].params, names):
                self.names[p.id] = name
        saves = dict(zip((v.id for v in eqn.params.get("saves", ())), eqn.outs[n:]))
        merged = self._merged_saves(params, body.results, names, saves)
        starts = {p.id for p, _ in merged.values()}
        unnamed = []  # lists named after what they record, once the body has named it
        for v, stack in zip(eqn.params.get("saves", ()), eqn.outs[n:]):
            if v.id in starts:
                continue  # recorded in its result's list
            stack_name = self.bind(stack, stack.hint or naming.SAVED, at, strict=True)
            if not stack.hint and v.id not in merged:
                unnamed.append((v, stack))
            self.save_to.setdefault(v.id, []).append(stack_name)
            param, start = merged.get(v.id, (None, ""))
            before += self._new_record(eqn, stack, stack_name, start)
            if param is not None:
                self.names[saves[param.id].id] = stack_name  # stack[k]: the value an iteration starts from
                self.offsets[stack.id] = 1  # stack[k + 1]: the value it ends with
                self.trims[saves[param.id].id], self.trims[stack.id] = ":-1", "1:"  # all of them: stack[:-1], stack[1:]
        for param, result, name in zip(params, body.results, names):
            if isinstance(result, Var) and result.id not in self.names and result.id not in self.plan.inline:
                self.preferred[result.id] = (name, param.id, param.id, False)
        header = self._header(eqn, at) if is_for else None
        stmts = [s for p in body.params for s in self.record(p)]
        stmts += self.block(body.eqns)
        pairs = [(name, r) for name, r in zip(names, body.results)
                 if not (isinstance(r, Var) and self.names.get(r.id) == name)]
        stmts += self.assign_all(pairs)
        for out, name in zip(eqn.outs[:n], names):
            self._take(out, name)
        if is_for:
            index_name, iterator = header
            node = ast.For(ast.Name(index_name, ast.Store()), iterator, stmts or [ast.Pass()], [], None)
            return self._name_lists(unnamed, before + [node], at)
        cond_block = eqn.blocks[0]
        cond_stmts = self.block(cond_block.eqns)
        test = self.atom(cond_block.results[0])
        if not cond_stmts:
            return self._name_lists(unnamed, before + [ast.While(test, stmts or [ast.Pass()], [])], at)
        stop = ast.If(ast.UnaryOp(ast.Not(), test), [ast.Break()], [])
        return self._name_lists(unnamed, before + [ast.While(ast.Constant(True), cond_stmts + [stop] + stmts, [])], at)

    def _name_lists(self, unnamed, stmts, at):
        """x_saved for the list recording x, when no one has had that name."""
        renamed = {}
        for v, stack in unnamed:
            if v.id not in self.names:
                continue
            name = naming.saved(self.names[v.id])
            if name not in self.holder and self.available(name, at, True):
                old = self.names[stack.id]
                renamed[old] = self._take(stack, name)
        if renamed:
            for node in stmts:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Name) and sub.id in renamed:
                        sub.id = renamed[sub.id]
        return stmts

    def _merged_saves(self, params, results, names, saves):
        """{result id: (param, its carried name)} for a carried value recorded both as an
        iteration starts and as it ends: one list, [initial value] + each iteration's result,
        serves both, read at k and k + 1 (as a hand-writer keeps hs = [h0], reads hs[t] and
        hs[t + 1])."""
        merged = {}
        for p, r, name in zip(params, results, names):
            if (isinstance(r, Var) and p.id in saves and r.id in saves and r.id != p.id and r.id not in merged
                    and all(self._only_items(saves[v]) for v in (p.id, r.id))):
                merged[r.id] = (p, name)
        return merged

    def _only_items(self, stack):
        """Whether a list is only read item by item, or stacked whole."""
        return all(consumer is not None and consumer.prim in (LIST_ITEM, STACK_LIST)
                   for _, _, consumer in self.plan.uses.get(stack.id, ()))

    def _carried_name(self, param, init, at, taken):
        """The carried value keeps its initial value's name when nothing else needs that value."""
        if isinstance(init, Var) and init.id in self.names:
            name = self.names[init.id]
            if name not in taken and self.plan.last_use.get(init.id, -1) <= at:
                return self._take(param, name)
        others = set(taken) - self.reserved  # another carried value's name, even one the body never reads
        self.reserved |= others
        try:
            return self.bind(param, self.var_name(param, "carry"), at, strict=True)
        finally:
            self.reserved -= others

    def _index_name(self, eqn, at, needed=False):
        """The for loop's index name: the user's (else i), or _ where nothing reads it and it
        is not needed otherwise."""
        index = eqn.blocks[-1].params[0]
        if needed or self.plan.use_count.get(index.id, 0) or index.id in self.plan.saved:
            return self.bind(index, index.hint if index.hint not in ("", "_") else "i", at, strict=True)
        self.names[index.id] = "_"
        return "_"

    def _header(self, eqn, at):
        start, stop, step = (self.atom(a) for a in eqn.ins[:3])
        name = self._index_name(eqn, at)
        if _is_const(eqn.ins[2], 1):
            args = [stop] if _is_const(eqn.ins[0], 0) else [start, stop]
        else:
            args = [start, stop, step]
        iterator = ast.Call(ast.Name("range", ast.Load()), args, [])
        if eqn.params.get("reverse"):
            iterator = ast.Call(ast.Name("reversed", ast.Load()), [iterator], [])
        return name, iterator


def _free_names(node):
    """The names a def or lambda reads that it does not bind itself (globals, builtins)."""
    args = node.args
    bound = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    bound |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    loads = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.Lambda)) and n is not node:
            bound |= {a.arg for a in n.args.args}
    return loads - bound


def _arange(v):
    """Whether v is np.arange(n) (with axes of length 1 after its first), n > 1, known."""
    return (isinstance(v, np.ndarray) and v.dtype == np.int64 and v.ndim >= 1 and v.shape[0] > 1
            and v.size == v.shape[0] and np.array_equal(v.ravel(), np.arange(v.size)))


def _by_name(c):
    """Whether the code reads a constant by a name the module binds to the object: a global,
    an external array, or an array too big to write out."""
    v = c.value
    return bool(c.name) or (isinstance(v, np.ndarray) and not (
        c.known and v.size <= 16 and v.dtype in (np.float64, np.int64, np.bool_)))


def _is_none(a):
    """The placeholder a branch yields for a residual only the other branch makes."""
    return isinstance(a, Const) and a.value is None


def _is_const(a, value):
    return isinstance(a, Const) and type(a.value) is int and a.value == value


def _all_eqns(block):
    for eqn in block.eqns:
        yield eqn
        for b in eqn.blocks:
            yield from _all_eqns(b)


def _all_atoms(block):
    """What a block and the blocks in it read, in the order they are written."""
    for eqn in block.eqns:
        yield from eqn.ins
        for b in eqn.blocks:
            yield from _all_atoms(b)
    yield from block.results


class _Substituter(ast.NodeTransformer):
    def __init__(self, operands):
        self.operands = operands

    def visit_Name(self, node):
        if node.id in self.operands:
            return self.operands[node.id]
        return node


def _substitute(tree, operands):
    return _Substituter(operands).visit(tree)


def _identifier(name):
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    if not name or name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name
