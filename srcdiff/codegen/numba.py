"""IR -> Python source that numba's nopython mode compiles, from the same IR and plan as
the NumPy module (emit.py), which stays the default and the oracle.

The module is the NumPy module with what numba spells differently:

- what a loop records for the backward sweep is an array made before the loop, of the
  loop's trip count (known when compiling), written at the iteration's row
  (`h_saved[t + 1] = h`), where the NumPy module appends to a list and stacks it after;
  np.stack of such a record is the array itself. A loop of unknown length keeps a list,
  and np.stack of it is a helper that copies the items into one array;
- `reversed(range(n))` is `range(n - 1, -1, -1)`;
- an operation whose NumPy spelling numba does not compile has a spelling of its own
  (the fact `on_numba`, ir/op.py);
- every function is `@numba.njit(cache=True, error_model="numpy")`: NumPy's division by
  zero (inf, nan) rather than Python's exception.

The module is written to a file of its own, named by its source's hash, in srcdiff's cache
directory, so that numba's disk cache finds its compiled code in the next process.
Where numba refuses the module when it is first called, the NumPy module runs in its
place, with one warning naming the construct and its line (strict: a SrcdiffError)."""
import ast
import copy
import hashlib
import keyword
import importlib.util
import os
import re
import sys
import warnings

import numpy as np

from ..errors import SrcdiffError
from ..ir import COND, FOR, Aval, Const, Var
from ..prims.core import STACK_LIST
from ..prims.linalg import DOT, MATMUL
from ..prims.indexing import GETITEM, INDEX_ADD, INDEX_PUT, INDEX_UPDATE, Slot
from ..prims import batching
from ..prims.lists import LIST_ITEM, LIST_LEN
from .emit import PLACEHOLDER, Emitted, _Writer, _all_eqns, _is_const, _substitute, emit_module

INSTALL = 'pip install "srcdiff[numba]"'
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def available():
    return importlib.util.find_spec("numba") is not None


def require():
    if not available():
        raise ImportError(f"backend='numba' needs numba (and SciPy, for its matrix products): {INSTALL}")


def cache_dir():
    """Where the written modules and numba's compiled code are kept: $SRCDIFF_CACHE_DIR,
    else $XDG_CACHE_HOME/srcdiff, else ~/.cache/srcdiff."""
    root = os.environ.get("SRCDIFF_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "srcdiff")
    return os.path.join(root, "numba")


class NumbaWriter(_Writer):
    """emit.py's writer, with loop records in preallocated arrays and numba's spellings."""

    def __init__(self, fn, floats=frozenset(), globals_=None, functions=frozenset()):
        super().__init__(fn, frozenset(), globals_, functions)  # math on Python floats: not here
        self.reserved |= set(HELPERS) | {"numba"}
        self.preallocated = _preallocatable(fn, self.plan)  # ids of the records kept in arrays
        self.arrays = {}  # record name -> (its loop, 1 when row 0 holds the value it starts from, of scalars)
        self.iteration = {}  # id(loop) -> the source of its iteration's number (t, n - 1 - t, k)
        self.counters = {}  # id(loop) -> the name counting its iterations, where no index gives it
        self.element_indices = []  # the indices of fused loops over elements (j, then l for a second axis)
        self.element_names = set()  # the names of numbers in fused loops
        for eqn in _all_eqns(fn.body):  # np.stack of a record is the record itself: not a new array
            if eqn.prim is STACK_LIST and getattr(eqn.ins[0], "id", None) in self.preallocated:
                self.plan.owned.discard(eqn.outs[0].id)

    def block(self, eqns):
        """Each run of two or more elementwise operations over float64 arrays of one known
        shape is one loop over the elements, with numbers inside (numba compiles a statement
        over numbers in a third of the time of one over arrays, and allocates only what the
        run's readers after it need)."""
        stmts, i = [], 0
        while i < len(eqns):
            run = _elementwise_run(eqns, i)
            if len(run) >= 2:
                stmts += self.fused(run)
                i += len(run)
            else:
                stmts += super().block(eqns[i:i + 1])
                i += 1
        return stmts

    def fused(self, run):
        """for j in range(n): ..., the run's results read after it written into arrays made
        before the loop; each operation spelled as on arrays, on the elements; a number read
        once in the run written where it is read."""
        shape = run[0].outs[0].aval.shape
        first = self.plan.pos[id(run[0])]
        inside = {id(e) for e in run}
        made = {e.outs[0].id for e in run}
        before, scalars, body = [], {}, []
        while len(self.element_indices) < len(shape):  # one set for the function's fused loops
            self.element_indices.append(self._fresh(("j", "l", "m", "p", "q")[min(len(self.element_indices), 4)]))
        indices = self.element_indices[:len(shape)]
        taken = set()  # the names of this run's numbers
        at_index = ", ".join(indices)
        read = {}  # var id -> the element of an array operand made before the run, or a number's name

        def operand(a):
            if isinstance(a, Const):
                return self.constant(a)
            if a.id in scalars:  # made by the run: a number's name, or its expression where read once
                return copy.deepcopy(scalars[a.id])
            if a.id not in read:
                atom = self.atom(a)
                if not isinstance(atom, (ast.Name, ast.Constant)):  # an expression written inline: named once
                    name = self.bind(a, self.var_name(a, self.temp_name(self.plan.owner[a.id])), first, strict=True)
                    before.append(ast.Assign([ast.Name(name, ast.Store())], atom))
                    atom = ast.Name(name, ast.Load())
                read[a.id] = (ast.parse(f"{atom.id}[{at_index}]", mode="eval").body
                              if a.aval.kind == "array" else atom)
            return copy.deepcopy(read[a.id])

        readers = {}  # var id -> how many of the run's operations read it
        outputs = []  # the run's values read after it: arrays made before the loop
        for eqn in run:
            out = eqn.outs[0]
            consumers = [c for _, _, c in self.plan.uses.get(out.id, ())]
            readers[out.id] = sum(c is not None and id(c) in inside for c in consumers)
            if out.id in self.save_to or readers[out.id] < len(consumers):
                outputs.append(out)
        for eqn in run:  # the operands made before the run, named first (an inline product's)
            for a in eqn.ins:
                if isinstance(a, Var) and a.id not in made:
                    operand(a)
        arrays = {}
        for out in outputs:  # under names no operand of the run holds
            name = self.bind(out, self.var_name(out, "") or self.temp_name(self.plan.owner[out.id]), first,
                             strict=True)
            before.append(ast.parse(f"{name} = np.empty({tuple(shape)!r})").body[0])
            arrays[out.id] = name
        for eqn in run:
            if eqn.prim.helper_source:
                self.helpers.add(eqn.prim.helper_source)
            self.imports.update(eqn.prim.imports)
            operands = {PLACEHOLDER.format(k): operand(a) for k, a in enumerate(eqn.ins)}
            spelled = eqn.prim.emit([PLACEHOLDER.format(k) for k in range(len(eqn.ins))], eqn.params)
            out = eqn.outs[0]
            expr = _substitute(ast.parse(spelled, mode="eval").body, operands)
            if readers[out.id] == 1 and out.id not in arrays:  # read once, by the run: written where it is read
                scalars[out.id] = expr
                continue
            if readers[out.id]:
                name = self._element_name(f"{self.var_name(out, '') or self.temp_name(eqn)}_{indices[0]}", taken)
                body.append(ast.Assign([ast.Name(name, ast.Store())], expr))
                expr = scalars[out.id] = ast.Name(name, ast.Load())
            if out.id in arrays:
                element = ast.parse(f"{arrays[out.id]}[{at_index}]", mode="eval").body
                body.append(ast.Assign([ast.Subscript(element.value, element.slice, ast.Store())], expr))
        for index, n in reversed(list(zip(indices, shape))):
            body = [ast.For(ast.Name(index, ast.Store()), ast.parse(f"range({n})", mode="eval").body, body, [])]
        after = [stmt for out in outputs for stmt in self.record(out)]
        return before + body + after

    def _element_name(self, base, taken):
        """A number's name in a fused loop: base, base_1, ..., not taken by the run; one the
        function's fused loops share (numbers all) or one no value of the function holds."""
        name, n = base, 0
        while name in taken or (name not in self.element_names and (
                name in self.reserved or name in self.holder or keyword.iskeyword(name))):
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        self.element_names.add(name)
        self.reserved.add(name)
        return name

    def _fresh(self, base):
        """A name no value of the function holds or will hold: base, base_1, ..."""
        name, n = base, 0
        while name in self.reserved or name in self.holder or keyword.iskeyword(name):
            n += 1
            name = f"{base}_{n}"
        self.reserved.add(name)
        return name

    def _new_record(self, loop, stack, name, start):
        if stack.id not in self.preallocated:
            return super()._new_record(loop, stack, name, start)
        aval = stack.aval
        rows = aval.length + (1 if start else 0)
        shape = (rows,) + tuple(aval.shape)
        dtype = np.dtype(aval.dtype)
        spelled = "" if dtype == np.float64 else f", dtype=np.{'bool_' if dtype == bool else dtype.name}"
        self.arrays[name] = (loop, 1 if start else 0, aval.shape == ())
        lines = [f"{name} = np.empty({shape!r}{spelled})"]
        stmts = [ast.parse(line).body[0] for line in lines]
        return stmts + ([self._put(name, "0", start)] if start else [])

    def _append(self, stack, value):
        if stack not in self.arrays:
            return super()._append(stack, value)
        loop, offset, _ = self.arrays[stack]
        return self._put(stack, self.iteration[id(loop)] + (" + 1" if offset else ""), value)

    def _put(self, stack, row, value):
        """stack[row] = value; of an array, by the helper put_into."""
        if self.arrays[stack][2]:
            return ast.parse(f"{stack}[{row}] = {value}").body[0]
        self.helpers.update((PUT_INTO, OVERLAPS))
        return ast.parse(f"put_into({stack}[{row}], {value})").body[0]

    def statements(self, eqn):
        """np.stack of a record is the record: its name, with no statement, where it is whole.
        A write of an array into a part of one of its shape is put_into/add_into."""
        record = eqn.ins[0] if eqn.prim is STACK_LIST else None
        if (isinstance(record, Var) and record.id in self.preallocated and record.id not in self.trims
                and record.id in self.names and eqn.outs[0].id not in self.plan.inline):
            name, out = self.names[record.id], eqn.outs[0]
            self.names[out.id] = name
            last = self.plan.last_use.get
            if last(out.id, -1) > last(record.id, -1):  # the name is free once both are dead
                self.holder[name] = out.id
            return []
        stmts = super().statements(eqn)
        return [self._by_helper(stmt) for stmt in stmts] if _plain_write(eqn) else stmts

    def _by_helper(self, stmt):
        """x[idx] = v as put_into(x[idx], v), x[idx] += v as add_into(x[idx], v)."""
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Subscript):
            target, helper, name = stmt.targets[0], PUT_INTO, "put_into"
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add) and isinstance(stmt.target, ast.Subscript):
            target, helper, name = stmt.target, ADD_INTO, "add_into"
        else:
            return stmt
        self.helpers.update((helper, OVERLAPS))
        target = ast.Subscript(target.value, target.slice, ast.Load())
        return ast.Expr(ast.Call(ast.Name(name, ast.Load()), [target, stmt.value], []))

    def _spelling(self, eqn, operands):
        if eqn.prim in (DOT, MATMUL):  # numba's products are of floats: a mask is cast to the product's dtype
            dtype = eqn.outs[0].aval.dtype
            for i, a in enumerate(eqn.ins):
                if a.aval.dtype is not None and a.aval.dtype.kind not in "fc" and dtype is not None:
                    cast = ast.parse(f"_.astype(np.{np.dtype(dtype).name})", mode="eval").body
                    cast.func.value = operands[PLACEHOLDER.format(i)]
                    operands[PLACEHOLDER.format(i)] = cast
        if eqn.prim is STACK_LIST and getattr(eqn.ins[0], "id", None) in self.preallocated:
            return lambda args, params: args[0]
        if eqn.prim.on_numba is not None:
            spelled = eqn.prim.on_numba([PLACEHOLDER.format(i) for i in range(len(eqn.ins))], eqn.params,
                                        [a.aval for a in eqn.ins])
            if spelled is not None:
                if isinstance(spelled, tuple):
                    spelled, helpers = spelled
                    self.helpers.update(helpers)
                return lambda args, params: spelled
        return super()._spelling(eqn, operands)

    def _header(self, eqn, at):
        """range(...) of the loop, forwards always (numba has no reversed), and the number of
        the iteration for the records it writes."""
        records = any(kept[0] is eqn for kept in self.arrays.values())
        name = self._index_name(eqn, at, needed=records)  # a record's row is the iteration's
        start, stop, step = (ast.unparse(self.atom(a)) for a in eqn.ins[:3])
        from_zero, unit = _is_const(eqn.ins[0], 0), _is_const(eqn.ins[2], 1)
        if not eqn.params.get("reverse"):
            args = ([stop] if from_zero else [start, stop]) if unit else [start, stop, step]
            iteration = name if from_zero and unit else None
        elif unit:
            args = [_minus_one(eqn.ins[1], stop), "-1" if from_zero else _minus_one(eqn.ins[0], start), "-1"]
            iteration = f"{_minus_one(eqn.ins[1], stop)} - {name}" if from_zero else None
        else:  # the last of range(start, stop, step) down to its first
            last = f"{start} + (len(range({start}, {stop}, {step})) - 1) * {_operand(step)}"
            args = [last, f"{start} - {_operand(step)}", f"-{_operand(step)}"]
            iteration = None
        if records:
            if iteration is None:
                iteration = self.counters[id(eqn)] = self._fresh("k")
            self.iteration[id(eqn)] = iteration
        return name, ast.parse(f"range({', '.join(args)})", mode="eval").body


    def loop(self, eqn):
        stmts = super().loop(eqn)
        counter = self.counters.pop(id(eqn), None)
        if counter is not None:  # k = 0 before the loop, k += 1 at the end of its body
            node = stmts[-1]
            node.body.append(ast.parse(f"{counter} += 1").body[0])
            stmts.insert(len(stmts) - 1, ast.parse(f"{counter} = 0").body[0])
        return stmts


def _elementwise_run(eqns, i):
    """The elementwise operations from eqns[i] on that make float64 arrays of eqns[i]'s
    shape, of operands of that shape (float64) or numbers."""
    run = []
    for eqn in eqns[i:]:
        if not _fusable(eqn) or (run and eqn.outs[0].aval.shape != run[0].outs[0].aval.shape):
            break
        run.append(eqn)
    return run


def _fusable(eqn):
    prim = eqn.prim
    if (prim.batch is not batching.elementwise or len(eqn.outs) != 1 or prim.effect or prim.inplace is not None
            or prim.emit_stmts is not None or prim.on_numba is not None or eqn.blocks):
        return False
    out = eqn.outs[0].aval
    if out.kind != "array" or not out.known_shape or out.shape == () or not all(type(d) is int for d in out.shape) \
            or out.dtype != np.float64:
        return False
    for a in eqn.ins:
        aval = a.aval
        if aval.kind == "array":
            if not aval.known_shape or aval.shape != out.shape or aval.dtype != np.float64 or (
                    isinstance(a, Const) and not a.name):
                return False
        elif aval.kind != "scalar" or aval.dtype is None or aval.dtype.kind not in "fiu":
            return False
    return True


def _minus_one(atom, text):
    """text - 1, worked out for a number."""
    if isinstance(atom, Const) and type(atom.value) is int:
        return str(atom.value - 1)
    return f"{_operand(text)} - 1"


def _operand(text):
    """text as an operand of - or *: in parentheses unless a name, a number or an item."""
    return text if re.fullmatch(r"[\w.\[\]]+", text) else f"({text})"


def _plain_write(eqn):
    """Whether eqn writes (or adds) an array into a part of another of the array's shape, the
    part picked by ints and slices: a view of it (an index array would pick a copy, and
    put_into would write into that)."""
    if eqn.prim not in (INDEX_PUT, INDEX_ADD, INDEX_UPDATE) or eqn.params.get("accumulate"):
        return False
    value, dyn, out = eqn.ins[1], eqn.ins[2:], eqn.outs[0].aval
    if not all(t is None or t is Ellipsis or isinstance(t, (slice, Slot)) or type(t) is int
               for t in eqn.params["index"]):
        return False
    if any(d.aval.kind != "scalar" or d.aval.dtype is None or d.aval.dtype.kind not in "iu" for d in dyn):
        return False
    if value.aval.kind != "array" or not value.aval.known_shape or value.aval.shape == () or not out.known_shape:
        return False
    part = GETITEM.shape([Aval("array", out.shape, out.dtype), *(d.aval for d in dyn)], eqn.params)
    return part.known_shape and part.shape == value.aval.shape


def _may_be_none(var, plan):
    """Whether var is an if's result that one branch yields as None (a residual only the other
    branch makes)."""
    made = plan.owner.get(var.id)
    if made is None or made.prim is not COND:
        return False
    j = next((k for k, o in enumerate(made.outs) if o is var), None)
    return j is not None and any(isinstance(b.results[j], Const) and b.results[j].value is None for b in made.blocks)


def _preallocatable(fn, plan):
    """The records a numba module keeps in arrays: a for loop's, of a trip count known when
    compiling, of items of one known shape and dtype, and read only item by item, stacked
    along a first axis, or measured (anything else sees the list NumPy's module makes)."""
    kept = set()
    for eqn in _all_eqns(fn.body):
        if eqn.prim is not FOR:
            continue
        saves = eqn.params.get("saves", ())
        for saved, stack in zip(saves, eqn.outs[len(eqn.outs) - len(saves):]):
            if _may_be_none(saved, plan):
                continue  # a branch's placeholder for what only the other branch makes: a list holds it
            aval = stack.aval
            if (aval.kind != "list" or aval.length is None or aval.layout is not None or aval.mixed
                    or aval.dtype is None or not isinstance(aval.shape, tuple)
                    or not all(type(d) is int for d in aval.shape)):
                continue
            uses = plan.uses.get(stack.id, ())
            if all(consumer is not None and (consumer.prim in (LIST_ITEM, LIST_LEN) or (
                    consumer.prim is STACK_LIST and not consumer.params.get("axis", 0)))
                   for _, _, consumer in uses):
                kept.add(stack.id)
    return kept


# numba compiles these in a tenth of a second, where it takes two for the first assignment of
# an array to a part of one (target[...] = value, target[...] += value)
# value is copied first where the two may share memory (b[::-1] = b), as NumPy does
OVERLAPS = """def byte_range(a):
    \"\"\"The addresses of a's first and one past its last byte.\"\"\"
    low = high = a.ctypes.data
    for d in range(a.ndim):
        span = (a.shape[d] - 1) * a.strides[d]
        if span < 0:
            low += span
        else:
            high += span
    return low, high + a.itemsize


def overlaps(a, b):
    \"\"\"Whether a and b may share memory: their ranges of bytes meet.\"\"\"
    if a.size == 0 or b.size == 0:
        return False
    a_low, a_high = byte_range(a)
    b_low, b_high = byte_range(b)
    return a_low < b_high and b_low < a_high"""
PUT_INTO = """def put_into(target, value):
    \"\"\"target[...] = value, of the same shape, element by element.\"\"\"
    source = value.copy() if overlaps(target, value) else value
    for index in np.ndindex(target.shape):
        target[index] = source[index]"""
ADD_INTO = """def add_into(target, value):
    \"\"\"target[...] += value, of the same shape, element by element.\"\"\"
    source = value.copy() if overlaps(target, value) else value
    for index in np.ndindex(target.shape):
        target[index] += source[index]"""
HELPERS = ("put_into", "add_into", "overlaps", "byte_range", "stack_items", "sum_rows", "max_rows", "min_rows")  # their names in a module

DECORATOR = "@numba.njit(cache={cache}, error_model=\"numpy\")"


class NumbaEmitted(Emitted):
    """A module for numba: loaded from its own file in the cache directory, each function a
    numba dispatcher that falls back to the NumPy module's function (fallback, an Emitted)
    when numba refuses to compile it."""

    def __init__(self, emitted, fallback, strict, where, numpy_scalars):
        # captured arrays are compiled into the code as constants, so a module that names
        # any is compiled again for new values (with_constants), never read from the disk cache
        cache = not any(isinstance(v, np.ndarray) for v in emitted.constants.values())
        source = re.sub(r"^def ", DECORATOR.format(cache=cache) + "\ndef ", emitted.source, flags=re.M)
        head, rest = source.split("\n\n\n", 1)
        super().__init__("import numba\n\n" + head + "\n\n\n" + rest, emitted.name, emitted.constants,
                         emitted.float_results, emitted.floats_safe)
        self.fallback = fallback
        self.strict = strict
        self.where = where  # "f, workloads.py:130": what the module is the derivative of
        self.functions = re.findall(r"^def (\w+)\(", emitted.source, flags=re.M)
        # result position -> the NumPy scalar type NumPy's module returns there (np.sum(x)),
        # where numba returns a Python float
        self.numpy_scalars = numpy_scalars

    def path(self):
        digest = hashlib.sha256(self.source.encode()).hexdigest()[:20]
        return os.path.join(cache_dir(), f"{self.name}_{digest}.py")

    def namespace(self):
        path = self.path()
        if not os.path.exists(path):  # written once: numba's cache is keyed on the file's time stamp
            os.makedirs(os.path.dirname(path), exist_ok=True)
            temporary = f"{path}.{os.getpid()}.tmp"
            with open(temporary, "w") as f:
                f.write(self.source)
            os.replace(temporary, path)
        name = "srcdiff_numba_" + os.path.basename(path)[:-3]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        module.__dict__.update(self.constants)
        sys.modules.setdefault(name, module)  # numba's cache looks the module up by name
        spec.loader.exec_module(module)
        namespace = dict(module.__dict__)
        fallback = self.fallback.namespace()
        # one decision for the module: numba's, or NumPy's for every function
        state = {"refused": None, "compiled": set()}
        for f in self.functions:
            if f in fallback:  # not numba's helpers (put_into)
                jitted = namespace[f]
                if f == self.name and self.numpy_scalars:
                    jitted = _as_numpy_scalars(jitted, self.numpy_scalars)
                namespace[f] = _guarded(jitted, fallback[f], self, state)
        return namespace


def _guarded(jitted, numpy_fn, emitted, state):
    """jitted, or numpy_fn once numba has refused the module (a warning says where)."""
    from numba.core.errors import NumbaError

    def call(*args):
        if state["refused"] is None:
            if jitted in state["compiled"]:
                try:
                    return jitted(*args)
                except NumbaError as e:  # compiling for arguments of other types
                    refused = e
            else:
                refused = _compile(jitted, args)
                if refused is None:
                    state["compiled"].add(jitted)
                    return jitted(*args)
            state["refused"] = _refusal(refused, emitted)
            if not emitted.strict:
                warnings.warn(state["refused"] + "; running the NumPy module instead (strict=True raises)",
                              NumbaFallback, stacklevel=_caller_level())
        if emitted.strict:
            raise SrcdiffError(state["refused"], None,
                               "write it with operations numba compiles, or use backend='numpy'")
        return numpy_fn(*args)

    call.__name__ = jitted.__name__
    call.__qualname__ = jitted.__name__
    call.__doc__ = jitted.__doc__
    call.jitted = jitted
    return call


def _as_numpy_scalars(jitted, scalars):
    """jitted, its results at the positions of scalars made the NumPy scalars the NumPy module
    returns there (np.float64 of numba's Python float)."""
    def call(*args):
        outs = jitted(*args)
        if not isinstance(outs, tuple):  # one result
            return scalars[0](outs)
        return tuple(scalars[i](o) if i in scalars else o for i, o in enumerate(outs))

    call.__name__, call.compile, call.stats = jitted.__name__, jitted.compile, jitted.stats
    return call


def _compile(jitted, args):
    """Compile jitted for these arguments' types (or read it from the disk cache), before it
    runs: None, or what numba raised. Anything numba's compiler raises counts (its TypeErrors
    and AssertionErrors too), where an error of the running code is the derivative's own."""
    import numba
    from numba.core.errors import NumbaPerformanceWarning
    try:
        types = tuple(numba.typeof(a) for a in args)
    except ValueError as e:  # an argument numba has no type for
        return e
    with warnings.catch_warnings():  # numba's hints on the emitted code (np.dot of a transpose)
        warnings.simplefilter("ignore", NumbaPerformanceWarning)
        try:
            jitted.compile(types)
        except Exception as e:
            return e
    return None


def _caller_level():
    """warnings.warn's stacklevel for the first frame outside srcdiff: the user's call."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level


class NumbaFallback(UserWarning):
    """numba could not compile a derivative; the NumPy module computes it."""


def _refusal(error, emitted):
    """numba cannot compile `LINE` (line N of the module): its reason, in one line."""
    text = _ANSI.sub("", str(error))
    lines = emitted.source.splitlines()
    found = re.findall(r'File "([^"]+)", line (\d+)', text) + re.findall(r"at (\S+) \((\d+)\)", text)
    number = next((int(n) for f, n in found if os.path.basename(f) == os.path.basename(emitted.path())), None)
    construct = lines[number - 1].strip() if number and number <= len(lines) else None
    if construct and len(construct) > 100:
        construct = construct[:97] + "..."
    said = [line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith(("Failed in", "During:", "File ", "There are"))]
    reason = " ".join(said[:2]) if said and said[0].endswith(":") else (said[0] if said else "")
    reason = re.sub(r"\s+", " ", reason)[:240]
    where = f"`{construct}` (line {number} of the numba module of {emitted.where})" if construct else \
        f"the numba module of {emitted.where}"
    return f"numba cannot compile {where}: {reason}"


def emit_numba_module(fn, also=(), strict=False):
    """The module for numba (NumbaEmitted), with the NumPy module as its fallback."""
    fallback = emit_module(fn, also)
    emitted = emit_module(fn, also, writer=NumbaWriter)
    where = f"{fn.name}, from {os.path.basename(fn.filename)}:{fn.lineno}" if fn.filename else fn.name
    scalars = {i: np.dtype(r.aval.dtype).type for i, r in enumerate(fn.body.results)
               if isinstance(r, Var) and r.aval.kind == "array" and r.aval.shape == () and r.aval.dtype is not None}
    return NumbaEmitted(emitted, fallback, strict, where, scalars)
