"""Lists, tuples and dicts, item assignment, and comprehensions.

Containers whose structure is known when compiling (a tuple, a dict of parameters,
a list literal) stay Python structures of values: indexing them costs nothing. A
list that a loop appends to becomes a list value in the IR (written as a Python
list in the emitted code). Item assignment `x[i] = v` makes a new array value;
every name bound to the old one sees the new one, as Python's aliasing would have
it, and the emitted code writes in place when nothing reads the old value."""
import ast
import itertools
import operator
from collections.abc import Hashable

import numpy as np

from ..errors import NonDifferentiableError
from ..ir import FOR, WHILE, Const, Var
from ..prims import T
from ..prims import lists
from ..prims.core import shares_memory
from ..prims.indexing import update
from ..prims.shaping import RESHAPE
from .control import RESULT, Known, _static_truth, _written_names
from .state import atom_key

# A comprehension over a constant range of at most this many items is written out: one
# expression per item (sum(x[i] ** 2 for i in range(3)) is x[0] ** 2 + x[1] ** 2 + ...),
# which reads as the user would write it and builds no list, nor a tape for the list in
# the derivative. The emitted code and the compile time grow with the items, so a longer
# range becomes a loop appending to a list. 32 is a judgement, not a measurement: short
# ranges (a point's coordinates, a polynomial's terms) are written out, while the
# written-out code stays within a screen or so. grammar.md states the limit.
COMPREHENSION_UNROLL = 32


class Containers:
    """Part of Lowering (lower.py; its state is frontend/state.py's): Python containers,
    item assignment and comprehensions, and the rebinding a write into an array makes in
    every frame that holds it (frame.env of each, aliases for what is one object)."""

    __slots__ = ()

    def expr_Dict(self, node):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:  # {**d, "k": v}: a dict known when compiling, its entries in order
                mapping = self.expr(v)
                if not isinstance(mapping, dict):
                    raise NonDifferentiableError(f"**{type(mapping).__name__} in a dict display: only a dict can "
                                                 "be unpacked here", self.loc(v))
                outside = id(mapping) in self.session.outside
                out.update({key: self.external(item) if outside else item for key, item in mapping.items()})
                continue
            out[self.static_key(k)] = self.expr(v)
        return out

    def static_key(self, node):
        key = self.expr(node)
        if isinstance(key, T):
            key = key.const_value(_MISSING)
        if key is _MISSING or not isinstance(key, (str, int, float, bool, tuple)):
            raise NonDifferentiableError("dict keys must be known when compiling (a string or a number)",
                                         self.loc(node))
        return key

    def subscript(self, value, index, node):
        """Indexing a Python container: by a key known now, or (a list) by a traced int."""
        item = self._subscript(value, index, node)
        return self.external(item) if id(value) in self.session.outside and not isinstance(item, T) else item

    def _subscript(self, value, index, node):
        if isinstance(value, dict):
            key = index.const_value(_MISSING) if isinstance(index, T) else index
            if not isinstance(key, Hashable) or key not in value:
                raise NonDifferentiableError(f"key {key!r} is not in the dict", self.loc(node))
            return value[key]
        if isinstance(value, (tuple, list)):
            i = index.const_value(_MISSING) if isinstance(index, T) else index
            if isinstance(i, slice):
                i = slice(*[b.const_value(_MISSING) if isinstance(b, T) else b for b in (i.start, i.stop, i.step)])
                if not all(b is None or isinstance(b, int) for b in (i.start, i.stop, i.step)):
                    raise NonDifferentiableError("a slice of a list or tuple needs bounds known when compiling",
                                                 self.loc(node), "slice with integers, or use an array")
            if isinstance(i, (int, slice)) and i is not _MISSING:
                try:
                    return value[i]
                except IndexError:
                    raise NonDifferentiableError(f"index {i} is out of range for {len(value)} items",
                                                 self.loc(node)) from None
            if isinstance(index, T):
                return lists.list_item(lists.to_list(value), index)
        raise NonDifferentiableError(f"cannot index a {type(value).__name__} with this subscript",
                                     self.loc(node))

    # -- x[i] = v ------------------------------------------------------------------

    def assign_item(self, target, value):
        base = target.value
        if not isinstance(base, ast.Name):
            raise self.unsupported(target, "assignment into a nested subscript (a[i][j] = v)",
                                   "index once with a tuple: a[i, j] = v")
        container = self.name(base.id, base)
        index = self.index(target.slice)
        if isinstance(container, dict):
            new = dict(container)
            new[self.static_key(target.slice)] = value
        elif isinstance(container, list):
            i = index.const_value(_MISSING) if isinstance(index, T) else index
            if not isinstance(i, int):
                raise NonDifferentiableError("a list item can be assigned only at an index known when compiling",
                                             self.loc(target))
            new = list(container)
            new[i] = value
        elif isinstance(container, T) and container.aval.kind == "list":
            raise self.unsupported(target, "item assignment into a list built in a loop",
                                   "append the values in order, or use an array")
        elif isinstance(container, T):
            self.refuse_view(container, base.id, target)
            self.refuse_maybe_alias(container, base.id, target)
            self.refuse_held_by_a_list(container, base.id, target)
            self.aliases.wrote(container.atom)
            new = update(container, index, value)
            if not new.atom.hint:
                new.atom.hint = base.id
        else:
            raise NonDifferentiableError(f"cannot assign into a {type(container).__name__}", self.loc(target))
        self.rebind(container, new, loc=self.loc(target))

    def refuse_view(self, array, name, node):
        eqn = self.frame.builder.producer(array.atom)
        if eqn is not None and _is_view(eqn):
            what = "an item of a list, and writing into it would change the list's item" if eqn.prim is lists.LIST_ITEM \
                else f"a view of another array ({eqn.prim.name}), and writing into it would change that array"
            raise NonDifferentiableError(
                f"{name} is {what} too, which srcdiff does not follow", self.loc(node),
                f"write into the original array, or take a copy first: {name} = {name}.copy()",
            )

    def refuse_maybe_alias(self, array, name, node):
        """A write into an array that is another name's array on some paths only. The value
        returned from inside a loop or if is not such a name: after the return nothing writes."""
        names = {n: v for n, v in self.frame.env.items() if n not in (name, RESULT) and isinstance(v, T)}
        ids, where = self.aliases.may_alias.get(atom_key(array.atom), (set(), ""))
        others = sorted(n for n, v in names.items() if atom_key(v.atom) in ids)
        holder = name  # the name bound to the array on some paths only
        if not others:  # the other way round: a name bound to an array that may be this one
            for n, v in names.items():
                if atom_key(array.atom) in self.aliases.may_alias.get(atom_key(v.atom), ((), ""))[0]:
                    others, where, holder = [n], self.aliases.may_alias[atom_key(v.atom)][1], n
                    break
        if not others:  # both may be one array no name holds any longer (b = a on one path, a rebound)
            mine = self.aliases.reach({atom_key(array.atom)}) - {atom_key(array.atom)}
            for n, v in names.items() if mine else ():
                theirs = self.aliases.reach({atom_key(v.atom)}) - {atom_key(v.atom)}
                if mine & theirs:
                    others, holder = [n], n
                    where = where or self.aliases.may_alias.get(atom_key(v.atom), ((), ""))[1]
                    break
        if others:
            original = others[0] if holder == name else name
            raise NonDifferentiableError(
                f"{name} is the same array as {', '.join(others)} on some paths through the {where} and not "
                "on others, so whether this write changes it depends on the path taken", self.loc(node),
                f"take a copy on the path that binds {holder} to {original} ({holder} = {original}.copy()), or "
                "write into it on every path")

    def refuse_held_by_a_list(self, array, name, node):
        """A write into an array that a list a loop appended to may hold (hs.append(h), or a view
        of h, then h[0] = v): Python's list then holds the changed array, which srcdiff's list
        of the values appended does not follow. (A list written out, [h], is followed.)"""
        for other, value in self.frame.env.items():
            if isinstance(value, T) and value.aval.kind == "list" and \
                    _may_hold(value.atom, array.atom, self.frame.builder.producer):
                raise NonDifferentiableError(
                    f"{name} is held by the list {other}, which a loop appended it (or a view of it) to, and "
                    f"writing into {name} would change that item too, which srcdiff does not follow", self.loc(node),
                    f"append a copy ({other}.append({name}.copy())), or write into {name} before appending it")

    def view_of(self, value, array, loc=None, name="the array"):
        """When value is a view of array (x[::-1], x[1:], x.T, or a view of such a view), a
        function making the same view of another array; else None. x[0] of a vector,
        x[[0, 1]] and x.flatten() are copies, not views. x.reshape(...) is a view only when
        x's memory layout allows it (x.T * 1.0 is laid out as x.T is), which is not known
        when compiling: a write into array at loc that would reach value through one is refused."""
        chain = []
        atom = value.atom
        while True:
            eqn = self.frame.builder.producer(atom)
            if eqn is None or not _is_view(eqn):
                return None
            chain.append(eqn)
            atom = eqn.ins[0]
            if atom is array.atom:
                break
        if loc is not None and any(eqn.prim is RESHAPE for eqn in chain):
            raise NonDifferentiableError(
                f"{name} was reshaped from this array, and this write changes {name} only if the reshape made "
                "a view rather than a copy, which depends on the array's memory layout", loc,
                f"add .copy() where {name} is made, or make {name} after the write")

        def replay(new):
            for eqn in reversed(chain):
                new = self.frame.builder.apply(eqn.prim, [new, *eqn.ins[1:]], **eqn.params)
            return new

        return replay

    def view_written_in_loop(self, view, array, loc):
        of = f"of {array}" if array else "of an array"
        if view.startswith("<"):  # the array a loop iterates over (ControlFlow.iterated)
            return NonDifferentiableError(
                f"this loop iterates over a view {of} that its body writes into; Python reads each item "
                "after the writes before it, which srcdiff does not follow for a view", loc,
                f"iterate over range(len(...)) and index {array or 'the array'} itself, or iterate over a copy")
        return NonDifferentiableError(
            f"{view} is a view {of} that this loop writes into; the write changes {view} too, which srcdiff "
            "follows outside loops but not inside them", loc,
            f"take a copy where {view} is made ({view} = ....copy()), or make {view} after the writes")

    def rebind(self, old, new, seen=None, loc=None, memo=None):
        """Every name bound to the old object now sees the new one: here, in the frames
        this function is inlined into (an argument written into is the caller's array) and
        in the frame it was defined in (a closure's array); so does every list, tuple and
        dict holding it (d = {"w": z}; z[0] = 1.0 changes d["w"])."""
        seen = set() if seen is None else seen
        memo = {} if memo is None else memo  # id of a container -> the one holding the new object
        if id(self) in seen:
            return
        seen.add(id(self))
        for k, v in list(self.frame.env.items()):
            renewed = self._renewed(v, old, new, memo, k, loc)
            if renewed is not v:
                self.frame.env[k] = renewed
        if isinstance(old, T) and isinstance(new, T):  # the new value is the same object as the old
            self.aliases.same_object(atom_key(old.atom), atom_key(new.atom))
            self.aliases.changed(new.atom, old.atom)
        if self.frame.regions:
            return  # the other frames are outside this if or loop: they see its out (changed_in_region)
        self.refuse_reaching_out(old, loc)
        for lowering in (self.frame.caller, self.frame.outer):
            if lowering is not None:
                lowering.rebind(old, new, seen, loc, memo)

    def _renewed(self, value, old, new, memo, name, loc):
        """value, with new where it holds old (itself, an item of a container, a view)."""
        if value is old or (isinstance(value, T) and isinstance(old, T) and value.atom is old.atom):
            return new
        if isinstance(value, T):
            if isinstance(old, T) and isinstance(new, T):
                seen_through = self.view_of(value, old, loc, name)
                if seen_through is not None:  # a view of the array sees the write: the same view of the new one
                    if self.aliases.loops:
                        raise self.view_written_in_loop(name, None, self.aliases.loops[-1])
                    return seen_through(new)
            return value
        if not isinstance(value, (list, tuple, dict)) or id(value) in self.session.outside:
            return value
        if id(value) not in memo:
            memo[id(value)] = value  # a container holding itself
            if isinstance(value, dict):
                items = {k: self._renewed(v, old, new, memo, name, loc) for k, v in value.items()}
                changed = any(items[k] is not v for k, v in value.items())
                memo[id(value)] = items if changed else value
            else:
                items = [self._renewed(v, old, new, memo, name, loc) for v in value]
                changed = any(a is not b for a, b in zip(items, value))
                memo[id(value)] = type(value)(items) if changed else value
        return memo[id(value)]

    def changed_in_region(self, before, out, paths, loc):
        """After one of this frame's ifs or loops, `out` is what the array `before` became.
        paths: (start, end, wrote) for each way through the region (an if's two sides, a
        loop's body): the value it started from and ended with, and whether it wrote into
        start. Where out is `before` written into on every path (a helper's loop writing rows
        of an array it was given), the frames this one is inlined into see the change, as they
        see a write outside a region. Written into on some paths and bound to another array
        on others, an array other frames hold is refused: its value would depend on the path."""
        if not (isinstance(before, T) and isinstance(out, T)) or all(
                isinstance(end, T) and end.atom is start.atom for start, end, _ in paths):
            return
        same = [isinstance(end, T) and self.aliases.is_changed(start, end) for start, end, _ in paths]
        if all(same):
            self.aliases.changed(out.atom, before.atom)
            if not self.frame.regions:
                self.refuse_reaching_out(before, loc)
                seen = {id(self)}
                for lowering in (self.frame.caller, self.frame.outer):
                    if lowering is not None:
                        lowering.rebind(before, out, seen, loc)
        elif any(wrote for _, _, wrote in paths) and self.held_elsewhere(before):
            raise NonDifferentiableError(
                "an array of the calling function is written into here, but on some paths the name is bound to "
                "another array first, so whether the caller's array changes depends on the path taken", loc,
                "take a copy first (a = a.copy()) if the caller's array should not change, or do not rebind "
                "the name")

    def bind_written_closures(self, node):
        """A nested function that writes into an array of the function it was defined in
        (z[i] = v, never rebinding z) writes into that array throughout the call: its frame
        binds the name, so that its ifs and loops carry the array like one of its own."""
        rebound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for name in _written_names(node.body):
            outer = self.frame.outer
            while outer is not None and name not in outer.frame.env:
                outer = outer.frame.outer
            if outer is not None and name not in self.frame.env and name not in rebound \
                    and isinstance(outer.frame.env[name], T):
                self.frame.env[name] = outer.frame.env[name]

    def refuse_reaching_out(self, array, loc):
        """A recursive function is lowered once, as a function of its own: a write into an array
        it was given (or one of the function it is defined in) would not reach that array."""
        if not (self.frame.on_its_own and isinstance(array, T)):
            return
        if any(self.aliases.is_changed(T(p), array) for p in self.frame.params) or self.held_elsewhere(array):
            raise NonDifferentiableError(
                "a recursive function writes into an array from outside it (an argument, or a variable of the "
                "function it is defined in); srcdiff makes the function one of its own, where the write would not "
                "reach that array", loc,
                "return the new array instead (z = z.copy(); z[i] = v; return z)")

    def held_elsewhere(self, value):
        """Whether a frame this one is inlined into (or defined in) has a name for value."""
        others = itertools.islice(self.frame.reached(), 1, None)  # all but this frame
        return any(isinstance(v, T) and v.atom is value.atom for frame in others for v in frame.env.values())

    # -- xs.append(v) ----------------------------------------------------------------

    def list_method(self, node):
        """xs.append(v) / xs.extend(vs) on a list name: a new list value bound to the name."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("append", "extend")
                and isinstance(func.value, ast.Name) and not node.keywords and len(node.args) == 1):
            return _MISSING
        current = self.name(func.value.id, func.value)
        if not (isinstance(current, list) or lists.is_list(current)):
            return _MISSING
        arg = self.expr(node.args[0])
        items = [arg] if func.attr == "append" else list(arg) if isinstance(arg, (list, tuple)) else None
        if items is None:
            raise NonDifferentiableError("extend takes a list or tuple here", self.loc(node))
        if isinstance(current, list):
            new = current + items
        else:
            new = current
            for item in items:
                if not isinstance(item, (T, bool, int, float, np.ndarray, np.generic, list, tuple)):
                    raise NonDifferentiableError(
                        f"a list built in a loop holds numbers and arrays, not a {type(item).__name__}",
                        self.loc(node), "build the list without a loop, or keep that value out of it")
                new = lists.append(new, item)
        self.rebind(current, new)
        return None

    # -- comprehensions ----------------------------------------------------------------

    def expr_ListComp(self, node):
        return self.comprehension(node)

    def expr_GeneratorExp(self, node):
        return self.comprehension(node)

    def comprehension(self, node, accumulate=None):
        """[elt for x in it if c]: written out when `it` is known when compiling and short,
        else a loop appending to a list (or, for sum(...), adding to a total)."""
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise self.unsupported(node, "a comprehension with several for clauses", "nest explicit loops")
        gen = node.generators[0]
        targets = _target_names(gen.target)
        saved = {n: self.frame.env[n] for n in targets if n in self.frame.env}
        try:
            items = self.static_items(gen.iter)
            if items is not None:
                return self.comprehension_unrolled(node, gen, items, accumulate)
            return self.comprehension_loop(node, gen, accumulate)
        finally:
            for n in targets:
                self.frame.env.pop(n, None)
            self.frame.env.update(saved)

    def static_items(self, node):
        """The items of an iterable known when compiling (a tuple, a list, a short constant range)."""
        iterable = self.iteration(node)
        if isinstance(iterable, Known):
            value = iterable.value
            return list(value) if isinstance(value, (tuple, list)) else None
        start, stop, step, bind = iterable
        bounds = [b.const_value(_MISSING) if isinstance(b, T) else (b.value if isinstance(b, Const) else b)
                  for b in (start, stop, step)]
        if any(not isinstance(b, int) for b in bounds):
            return None
        r = range(*bounds)
        if len(r) > COMPREHENSION_UNROLL:
            return None
        return [_Bound(bind, T(Const(i))) for i in r]

    def comprehension_unrolled(self, node, gen, items, accumulate):
        out = []
        for item in items:
            if isinstance(item, _Bound):
                item.bind(gen.target, item.index)
            else:
                self.assign(gen.target, item)
            if all(self.static_condition(c) for c in gen.ifs):
                out.append(self.expr(node.elt))
        if accumulate is not None:
            total = accumulate
            for v in out:
                total = self.frame.builder.call(operator.add, (total, v), {})
            return total
        return out

    def static_condition(self, node):
        value = self.expr(node)
        known = _static_truth(value)
        if known is None:
            raise NonDifferentiableError("a comprehension's if over a short constant range must be known when "
                                         "compiling here", self.loc(node), "use an explicit loop with an if")
        return known

    def comprehension_loop(self, node, gen, accumulate):
        """The same comprehension as an explicit loop, lowered like one the user wrote."""
        name = "<items>" if accumulate is None else "<total>"
        self.frame.env[name] = lists.empty_list() if accumulate is None else accumulate
        target = ast.Name(name, ast.Load())
        if accumulate is None:
            step = ast.Expr(ast.Call(ast.Attribute(target, "append", ast.Load()), [node.elt], []))
        else:
            step = ast.Assign([ast.Name(name, ast.Store())], ast.BinOp(target, ast.Add(), node.elt))
        for cond in reversed(gen.ifs):
            step = ast.If(cond, [step], [])
        loop = ast.For(gen.target, gen.iter, [step], [], None)
        ast.copy_location(loop, node)
        ast.fix_missing_locations(loop)
        for n in ast.walk(loop):
            ast.copy_location(n, node) if not hasattr(n, "lineno") else None
        self.stmt(loop)
        return self.frame.env.pop(name)

    def builtin_sum(self, node):
        """sum(x[i] ** 2 for i in range(n)): a loop adding to a total, no list."""
        if len(node.args) not in (1, 2) or node.keywords or not isinstance(node.args[0], (ast.GeneratorExp,
                                                                                            ast.ListComp)):
            return _MISSING
        start = self.expr(node.args[1]) if len(node.args) == 2 else T(Const(0))
        return self.comprehension(node.args[0], accumulate=start)


class _Bound:
    """An item of a constant range, bound to the comprehension's target as the loop would."""

    def __init__(self, bind, index):
        self.bind, self.index = bind, index


def _target_names(target):
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


_MISSING = object()


def _may_hold(lst, array, producer, depth=0):
    """Whether the list value lst may hold array's object or a view of it: an item appended
    that is array or a view of it, in a loop's or a branch's body too. producer: the equation
    that made a variable (inside a region's blocks, theirs first)."""
    if depth > 50 or not isinstance(lst, Var):
        return False
    eqn = producer(lst)
    if eqn is None:
        return False
    if eqn.prim is lists.LIST_APPEND:
        return _is_or_views(eqn.ins[1], array, producer) or _may_hold(eqn.ins[0], array, producer, depth + 1)
    if eqn.prim is lists.LIST_FROM:
        return any(_is_or_views(a, array, producer) for a in eqn.ins)
    if eqn.blocks:
        j = next(k for k, o in enumerate(eqn.outs) if o is lst)
        made = {o.id: e for b in eqn.blocks for e in _every_eqn(b) for o in e.outs}
        inside = lambda atom: made.get(atom.id) or producer(atom)  # noqa: E731
        inits = eqn.ins[3 + j:4 + j] if eqn.prim is FOR else eqn.ins[j:j + 1] if eqn.prim is WHILE else []
        return any(_may_hold(b.results[j], array, inside, depth + 1) for b in eqn.blocks if j < len(b.results)) \
            or any(_may_hold(a, array, producer, depth + 1) for a in inits)
    # a list made from lists (a pop's rest, a sum of lists)
    return any(_may_hold(a, array, producer, depth + 1) for a in eqn.ins if isinstance(a, Var) and a.aval.kind == "list")


def _every_eqn(block):
    for e in block.eqns:
        yield e
        for b in e.blocks:
            yield from _every_eqn(b)


def _is_or_views(atom, array, producer):
    """Whether atom is array, or a view of it (x[1:], x.T, a view of such a view)."""
    steps = 0
    while isinstance(atom, Var) and steps < 50:
        if atom is array:
            return True
        eqn = producer(atom)
        if eqn is None or not _is_view(eqn):
            return False
        atom, steps = eqn.ins[0], steps + 1
    return False


def _is_view(eqn):
    """Whether eqn's result shares its first operand's memory, as NumPy makes it (taken to be
    a copy where that is not known when compiling, for arguments of unknown shapes)."""
    return bool(eqn.ins) and isinstance(eqn.ins[0], Var) and shares_memory(eqn, unknown=False)
