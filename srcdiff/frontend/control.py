"""Lowering control flow to regions.

`if` becomes a cond whose branches yield the names either branch assigns;
loops become for/while regions carrying the names their body assigns.
`break`, `continue` and `return` inside them set flags (ordinary carried
booleans) and the statements after a place that may have set one are
guarded by `if not flag`, so every region stays single-entry single-exit.
A condition known when compiling (a Python int argument's comparison with a
constant, a global flag) picks its branch then and there."""
import ast
import contextlib
from typing import NamedTuple

import numpy as np

from ..errors import NonDifferentiableError
from ..ir import COND, FOR, WHILE, Aval, Block, Const, Eqn, Sym, Var, same_dtype
from ..ir.regions import carried_count, has_effect, range_length, static_trips
from .idioms import RangeValue
from ..prims import Builder, T
from ..prims.core import as_atom, wrap
from ..prims import lists
from ..prims.control import AND, NOT, OR, RANGE_LEN
from ..prims.shapes import result_dtype
from .state import atom_key

BROKE, SKIP, RETURNED, RESULT = "<break>", "<continue>", "<return>", "<result>"
ITERATED = "<iterated"  # the arrays loops iterate over (see ControlFlow.iterated)
FLAG_HINTS = {BROKE: "broke", SKIP: "skip", RETURNED: "returned", RESULT: "result"}
INT = Aval("scalar", (), np.dtype(np.int64))

# How many times a loop's body may be lowered to settle what it carries (_settled_body).
# A round lowers the body with the avals known so far; where the body makes a value of
# another kind, shape or dtype (s = 0.0; s = s + x), the next round starts from the two
# joined (_join), and where it binds apart names that were one array, from slots of
# their own. Joins only forget (a known shape becomes unknown, a number an array), so
# each value settles within a round or two, except along a chain (a = b; b = x: a learns
# b's new kind a round after b does). Loops in the tests settle within 3 rounds; 6 bounds
# the compile time of the rest (a loop inside a loop is lowered again in each round of
# the loop around it). A loop still unsettled after them is refused at
# the loop (its last round was lowered for what the values are not: a wrong derivative),
# unless all that still changes is a shape unknown when compiling in place of another
# (h = np.tanh(W @ h) for h of an unknown shape; _unknown_shapes): no round knows more.
LOOP_ROUNDS = 6
BOOL = Aval("scalar", (), np.dtype(bool))


class Undefined:
    """A name bound on some paths only; using it is an error that says where."""

    def __init__(self, name, why):
        self.name, self.why = name, why


class ControlFlow:
    """Part of Lowering (lower.py; its state is frontend/state.py's): statements that own
    blocks. An if's sides and a loop's body are lowered into blocks of their own by
    swapping frame.builder and frame.env (isolated); what they wrote into is aliases'."""

    __slots__ = ()

    # -- statement sequences -------------------------------------------------------

    def lower_stmts(self, stmts):
        for i, stmt in enumerate(stmts):
            self.stmt(stmt)
            state = self.stopped()
            if state is True:
                return  # the rest cannot run
            if state is not False and stmts[i + 1:]:
                self.guarded(state, stmts[i + 1:])
                return

    def stopped(self):
        """True if a flag is surely set, False if surely not, else the traced 'some flag is set'."""
        flags = [self.frame.env[f] for f in (BROKE, SKIP, RETURNED) if f in self.frame.env]
        known = [_static_truth(f) for f in flags]
        if any(k is True for k in known):
            return True
        traced = [f for f, k in zip(flags, known) if k is None]
        if not traced:
            return False
        any_set = traced[0]
        for f in traced[1:]:
            any_set = self.frame.builder.apply(OR, [any_set, f])
        return any_set

    def guarded(self, any_set, stmts):
        """The statements run only if no flag was set. Where return is the only flag that
        can be set, skipping them means it was: say so, so that a function whose every
        path returns is seen to."""
        go = self.frame.builder.apply(NOT, [any_set])
        env = self.frame.env
        traced = [f for f in (BROKE, SKIP, RETURNED) if f in env and _static_truth(env[f]) is None]

        def skipped():
            if traced == [RETURNED]:
                self.frame.env[RETURNED] = T(Const(True))

        self.branch(go, lambda: self.lower_stmts(stmts), skipped, stmts[0])

    # -- if ------------------------------------------------------------------------

    def stmt_If(self, node):
        test = self.condition(node.test)
        self.branch(test, lambda: self.lower_stmts(node.body), lambda: self.lower_stmts(node.orelse), node)

    def expr_IfExp(self, node):
        test = self.condition(node.test)
        known = _static_truth(test)
        if known is not None:
            return self.expr(node.body if known else node.orelse)
        results = {}

        def side(key, expr):
            def run():
                results[key] = self.expr(expr)
                self.frame.env["<ifexp>"] = results[key]
            return run

        self.branch(test, side(True, node.body), side(False, node.orelse), node)
        return self.frame.env.pop("<ifexp>")

    def expr_BoolOp(self, node):
        """and/or: bools with Python's operators (arrays elementwise); any other value as
        Python gives it, `a and b` being `b if a else a`. An operand whose truth is known
        when compiling decides, and what Python would skip is not lowered."""
        is_and = isinstance(node.op, ast.And)
        result = self.condition(node.values[0])
        for right in node.values[1:]:
            known = _static_truth(result)
            if known is not None:
                if known != is_and:
                    return result  # False and …, True or …
                result = self.condition(right)
                continue
            value = self.condition(right)
            if _is_bool(result) and _is_bool(value):
                right_known = _static_truth(value)
                result = self.frame.builder.apply(AND if is_and else OR, [result, value]) if right_known is None else (
                    result if right_known == is_and else T(Const(not is_and)))
            else:
                result = self.select(result, value, result, node) if is_and else self.select(result, result, value, node)
        return result

    def select(self, test, then, orelse, node):
        """then if test else orelse, of values already lowered."""
        def side(v):
            def run():
                self.frame.env["<ifexp>"] = v
            return run

        self.branch(test, side(then), side(orelse), node)
        return self.frame.env.pop("<ifexp>")

    def condition(self, node):
        value = self.expr(node)
        if isinstance(value, T) and value.aval.known_shape and value.aval.shape != ():
            raise NonDifferentiableError(
                f"the truth value of an array of shape {value.aval.shape} is ambiguous",
                self.loc(node), "reduce it first: np.all(...), np.any(...) or np.sum(...) > 0.",
            )
        return value

    def branch(self, test, then, orelse, node):
        """Lower both sides in isolation and merge what they bind into a cond."""
        known = _static_truth(test)
        if known is not None:
            (then if known else orelse)()
            return
        before = dict(self.frame.env)
        sides = []
        for run in (then, orelse):
            with self.isolated(before) as side:
                run()
            sides.append(side)
        for name in set(sides[0].env) & set(sides[1].env):
            a, b = sides[0].env[name], sides[1].env[name]
            if _same_value(a, b) and a is not before.get(name):
                self.frame.env[name] = a  # both branches agree (both return, say)
        names = _merge_names(before, sides[0].env, sides[1].env)
        if not names and not any(has_effect(e) for side in sides for e in side.eqns):
            return  # an if that binds nothing and does nothing (a draw advances the stream, a print is seen)
        results = [[], []]
        structures = {}
        for name in names:
            a, b = sides[0].env.get(name, _missing(before, name)), sides[1].env.get(name, _missing(before, name))
            if isinstance(a, Undefined) or isinstance(b, Undefined):
                self.frame.env[name] = a if isinstance(a, Undefined) else b
                if not (isinstance(a, Undefined) and isinstance(b, Undefined)):
                    self.frame.env[name] = Undefined(name, f"{_show(name)} is assigned in only one branch of the "
                                                     f"if at line {node.lineno}; assign it before the if")
                continue
            leaves_a, leaves_b = [], []
            structures[name] = _structure(a, leaves_a, self, node)
            if _structure(b, leaves_b, self, node) != structures[name]:
                raise NonDifferentiableError(f"{_show(name)} has a different structure in the two branches",
                                             self.loc(node))
            results[0].extend(leaves_a)
            results[1].extend(leaves_b)
        # names bound to one array in both branches stay bound to one array after the if
        first, slot = {}, []
        for k, (x, y) in enumerate(zip(results[0], results[1])):
            slot.append(first.setdefault((atom_key(as_atom(x)), atom_key(as_atom(y))), k))
        reps = sorted(set(slot))
        outs = {k: Var(_join(results[0][k], results[1][k]), "") for k in reps}
        blocks = tuple(Block([], side.eqns, [as_atom(rs[k]) for k in reps]) for side, rs in zip(sides, results))
        builder = self.frame.builder
        builder.append(Eqn(COND, [as_atom(test)], [outs[k] for k in reps], {}, builder.loc, blocks))
        earlier = {atom_key(as_atom(v)) for v in before.values() if isinstance(v, T)}
        shared = _shared_on_one_path(results, reps)
        for k in reps:  # an out that is an array from before the if, or another out, on one path only
            sources = {atom_key(as_atom(results[0][k])), atom_key(as_atom(results[1][k]))}
            ids = self.aliases.reach(sources & earlier) if len(sources) > 1 else set()
            ids |= {atom_key(outs[j]) for j in shared[k]}
            if ids:
                self.aliases.maybe(outs[k], ids, f"if at line {node.lineno}")
        it = iter([outs[k] for k in slot])
        for name, structure in structures.items():
            self.frame.env[name] = _rebuild(structure, it, name)
        for name, value in structures.items():
            if value == "leaf" and isinstance(before.get(name), T):
                self.changed_in_region(before[name], self.frame.env[name], [
                    (before[name], side.env.get(name, before[name]), atom_key(before[name].atom) in side.wrote)
                    for side in sides], self.loc(node))

    @contextlib.contextmanager
    def isolated(self, env):
        """Lower into a fresh block with a copy of env; restores the outer state after."""
        outer_builder, outer_env = self.frame.builder, self.frame.env
        side = _Side(Builder(parent=outer_builder), dict(env))
        self.frame.builder, self.frame.env = side.builder, side.env
        self.frame.regions += 1
        known = set(self.aliases.changed_from)
        try:
            with side.builder.active():
                yield side
        finally:
            side.env = self.frame.env
            side.wrote = self.aliases.changes_since(known)  # arrays written into
            self.frame.regions -= 1
            self.frame.builder, self.frame.env = outer_builder, outer_env

    # -- loops ---------------------------------------------------------------------

    def stmt_For(self, node):
        if node.orelse:
            raise self.unsupported(node, "for/else", "set a flag before break instead")
        with self.iterating():
            self._for(node)

    @contextlib.contextmanager
    def iterating(self):
        """The names `iteration` gives the arrays a loop iterates over live as long as the loop."""
        before = {n for n in self.frame.env if n.startswith(ITERATED)}
        try:
            yield
        finally:
            for n in [n for n in self.frame.env if n.startswith(ITERATED) and n not in before]:
                del self.frame.env[n]

    def _for(self, node):
        iterable = self.iteration(node.iter)
        if isinstance(iterable, Known):
            items = iterable.value
            if isinstance(items, dict):
                items = list(items)  # for key in params: the keys are known
            if isinstance(items, (tuple, list)):
                return self.unrolled(node, items)
            raise NonDifferentiableError(f"cannot iterate over {type(items).__name__}", self.loc(node.iter),
                                         "iterate over range(...), an array, enumerate, zip or reversed.")
        start, stop, step, bind = iterable
        self.keep_targets(node)
        if _contains(node.body, ast.Break) or _contains(node.body, ast.Return):
            return self.for_as_while(node, start, stop, step, bind)
        def body(index):
            bind(node.target, index)
            self.frame.env[SKIP] = T(Const(False))
            self.lower_stmts(node.body)
            self.frame.env.pop(SKIP, None)

        end = getattr(node, "end_lineno", node.lineno)
        if _static_trips([start, stop, step]) and not _contains(node.body, ast.Continue) and any(
                n not in self.frame.env and _read_after(self.frame.parsed.node, n, end)
                for n in _surely_assigned(node.body)):
            # `for i in range(n): y = f(i)` with n > 0 known, then y read after the loop: Python
            # leaves y as the last iteration made it. The first iteration runs on its own, so the
            # names it binds are carried by the loop over the others.
            body(T(start))
            start = Const(_static_value(start) + _static_value(step))
        self.loop(FOR, node, self.carried_names(node, targets=True), body, [start, stop, step])

    def for_as_while(self, node, start, stop, step, bind):
        """A for loop that can stop early runs as while i < stop and not broke."""
        counter = "<index>"
        self.frame.env[counter] = wrap(start)
        self.frame.env[BROKE] = T(Const(False))
        if _contains(node.body, ast.Return):
            self.frame.env.setdefault(RETURNED, T(Const(False)))
            self.frame.env.setdefault(RESULT, T(Const(None)))
        carried = [counter, BROKE] + self.carried_names(node, exclude={counter, BROKE}, targets=True)
        step_value = _static_value(step)
        if step_value is None:
            raise NonDifferentiableError("a for loop with break or return needs a range step known when compiling",
                                         self.loc(node.iter))

        def test():
            i = self.frame.env[counter]
            more = i < stop if step_value > 0 else i > stop
            go = self.frame.builder.apply(AND, [more, self.frame.builder.apply(NOT, [self.frame.env[BROKE]])])
            if RETURNED in self.frame.env and _static_truth(self.frame.env[RETURNED]) is None:
                go = self.frame.builder.apply(AND, [go, self.frame.builder.apply(NOT, [self.frame.env[RETURNED]])])
            return go

        def body():
            i = self.frame.env[counter]
            bind(node.target, i)
            self.entering_body()
            self.lower_stmts(node.body)
            self.frame.env.pop(SKIP, None)
            self.frame.env[counter] = i + step

        self.loop(WHILE, node, carried, body, [], test=test)
        self.frame.env.pop(counter)
        self.frame.env.pop(BROKE)

    def stmt_While(self, node):
        if node.orelse:
            raise self.unsupported(node, "while/else", "set a flag before break instead")
        has_break = _contains(node.body, ast.Break)
        if has_break:
            self.frame.env[BROKE] = T(Const(False))
        if _contains(node.body, ast.Return):
            self.frame.env.setdefault(RETURNED, T(Const(False)))
            self.frame.env.setdefault(RESULT, T(Const(None)))
        carried = ([BROKE] if has_break else []) + self.carried_names(node, exclude={BROKE})

        def test():
            go = self.condition(node.test)
            for flag in (BROKE, RETURNED):
                if flag in self.frame.env and _static_truth(self.frame.env[flag]) is None:
                    go = self.frame.builder.apply(AND, [go, self.frame.builder.apply(NOT, [self.frame.env[flag]])])
            return go

        def body():
            self.entering_body()
            self.lower_stmts(node.body)
            self.frame.env.pop(SKIP, None)

        self.loop(WHILE, node, carried, body, [], test=test)
        if has_break:
            self.frame.env.pop(BROKE)

    def entering_body(self):
        """The body only runs while no flag is set: inside it they start out False."""
        self.frame.env[SKIP] = T(Const(False))
        for flag in (BROKE, RETURNED):
            if flag in self.frame.env:
                self.frame.env[flag] = T(Const(False))

    def stmt_Break(self, node):
        if BROKE not in self.frame.env:
            raise self.unsupported(node, "break outside a loop", "remove it")
        self.frame.env[BROKE] = T(Const(True))

    def stmt_Continue(self, node):
        if SKIP not in self.frame.env:
            raise self.unsupported(node, "continue outside a loop", "remove it")
        self.frame.env[SKIP] = T(Const(True))

    def stmt_Return(self, node):
        if node.value is None:
            raise NonDifferentiableError("a bare return gives nothing to differentiate", self.loc(node))
        self.frame.env[RESULT] = self.expr(node.value)
        self.frame.env[RETURNED] = T(Const(True))

    def keep_targets(self, node):
        """A loop variable read after the loop keeps its last value, as in Python: carry it
        (from None, which is what a zero-trip loop leaves)."""
        end = getattr(node, "end_lineno", node.lineno)
        for name in _assigned_names([ast.Assign([node.target], ast.Constant(None))]):
            if name not in self.frame.env and _read_after(self.frame.parsed.node, name, end):
                self.frame.env[name] = T(Const(None))

    def carried_names(self, node, exclude=(), targets=False):
        """Names the loop body assigns that exist before the loop, plus the flags it needs."""
        assigned = _assigned_names(node.body)
        if targets:
            assigned += [n for n in _assigned_names([ast.Assign([node.target], ast.Constant(None))])
                         if n not in assigned]
        env = self.frame.env
        names = [n for n in assigned if n in env and n not in exclude and not isinstance(env[n], Undefined)]
        if _contains(node.body, ast.Return):
            self.frame.env.setdefault(RETURNED, T(Const(False)))
            self.frame.env.setdefault(RESULT, T(Const(None)))
            names += [f for f in (RETURNED, RESULT) if f not in exclude and f not in names]
        return names

    def loop(self, kind, node, carried, body, lead, test=None):
        """Lower a loop body (and its test) into a region carrying `carried` names.
        Avals the body changes (a float becoming an array) widen and the body is lowered again.
        Names bound to one array share one carried slot, so a write through one is seen
        through all (z = x; for …: z[i] = v changes x), as long as the body keeps them one."""
        trips = _static_trips(lead) if kind is FOR else None
        if trips == 0:  # for … in range(0): Python never runs the body
            for name in _assigned_names(node.body):
                if name not in self.frame.env:
                    self.frame.env[name] = Undefined(name, f"{_show(name)} is assigned only inside the loop at line "
                                                     f"{node.lineno}, which runs no iterations")
            return
        for name in carried:  # a list the body appends to becomes a list value the loop carries
            if isinstance(self.frame.env.get(name), list) and name in _appended_names(node.body):
                self.frame.env[name] = lists.to_list(self.frame.env[name])
        carried = carried + self._carried_aliases(carried, _written_names(node.body), node)
        self.aliases.loops.append(self.loc(node))
        try:
            self._loop_body(kind, node, carried, body, lead, test)
        finally:
            self.aliases.loops.pop()

    def _loop_body(self, kind, node, carried, body, lead, test):
        trips = _static_trips(lead) if kind is FOR else None
        while True:  # again, carrying more names, if the body wrote through an alias made inside it
            before = dict(self.frame.env)
            structures, inits = {}, []
            for name in carried:
                leaves = []
                structures[name] = _structure(before[name], leaves, self, node)
                inits.extend(leaves)
            lowered = self._settled_body(kind, node, before, structures, inits, body, test)
            side = lowered.side
            missed = [n for n, v in side.env.items() if n not in structures and isinstance(before.get(n), T)
                      and isinstance(v, T) and v.atom is not before[n].atom]
            if not missed:
                break
            carried = carried + missed
            self.aliases.written.intersection_update(lowered.written_before)
        self._emit_loop(kind, node, lead, trips, structures, inits, lowered)

    def _settled_body(self, kind, node, before, structures, inits, body, test):
        """The body (and test) lowered with avals for the carried leaves that cover what the
        body makes of them, and one slot per array the body keeps one: each round lowers it
        again, either with the avals joined with what the last round made of them or with
        the names it bound apart in slots of their own, until a round changes neither (see
        LOOP_ROUNDS)."""
        avals = [_forget(_aval(v)) for v in inits]  # the body may change what the init knew
        leaf_names = _leaf_names(structures)
        split = set()  # arrays the body binds apart: no longer one slot
        for _ in range(LOOP_ROUNDS):
            lowered = self._lowered_body(kind, node, before, structures, inits, avals, split, leaf_names, body, test)
            slot, results = lowered.slot, lowered.results
            apart = {slot[k] for k in range(len(inits)) if as_atom(results[k]) is not as_atom(results[slot[k]])}
            if apart:
                names = sorted({n for n, k in zip(leaf_names, slot) if k in apart})
                if any(lowered.own[k].id in self.aliases.written for k in apart):
                    raise NonDifferentiableError(
                        f"{', '.join(names)} are one array before the loop, and the loop writes into it but "
                        "binds the names apart, so which one a later write reaches depends on the iteration",
                        self.loc(node), "take a copy before the loop (b = a.copy()) if the writes should not "
                        "reach the other names, or write through one name only")
                split |= {atom_key(as_atom(inits[k])) for k in apart}
                self.aliases.written.intersection_update(lowered.written_before)
                unsettled = names
                continue
            new_avals = [_join(a, _aval(r)) for a, r in zip(avals, results)]
            if all(a.same(b) for a, b in zip(avals, new_avals)):
                return lowered
            unsettled = [leaf_names[k] for k, (a, b) in enumerate(zip(avals, new_avals))
                         if not a.same(b) and not _unknown_shapes(a, b)]
            avals = new_avals
        if unsettled:
            raise NonDifferentiableError(
                f"srcdiff lowered the body of this loop {LOOP_ROUNDS} times and still did not know what "
                f"{', '.join(_show(n) for n in unsettled)} {'is' if len(unsettled) == 1 else 'are'} on every "
                "iteration (a number on the first, an array later, or one array on some iterations and two on "
                "others)", self.loc(node),
                "give them before the loop the kind and shape they have after it (a = np.zeros_like(x), not "
                "a = 0.0), or copy what the loop binds apart (b = a.copy())")
        return lowered._replace(avals=avals)  # what is left: an unknown shape becoming another unknown shape

    def _lowered_body(self, kind, node, before, structures, inits, avals, split, leaf_names, body, test):
        """One round of _settled_body: the test and body lowered with these avals and slots."""
        slot = _slots(inits, split)
        reps = sorted(set(slot))
        own = {k: Var(avals[k], _hint(leaf_names[k])) for k in reps}
        params = [own[slot[k]] for k in range(len(inits))]
        for k in reps:  # the first iteration starts from the init, which may be another name's array
            self.aliases.same_object(atom_key(as_atom(inits[k])), atom_key(own[k]))
        index = Var(INT, _target_hint(node)) if kind is FOR else None
        cond_block = None
        if test is not None:
            cond_own = {k: Var(avals[k], own[k].hint) for k in reps}
            with self.isolated(self._bound(before, structures, [cond_own[slot[k]] for k in range(len(inits))])) \
                    as side:
                go = test()
            cond_block = Block([cond_own[k] for k in reps], side.eqns, [as_atom(go)])
        written_before = set(self.aliases.written)
        with self.isolated(self._bound(before, structures, params)) as side:
            body(T(index)) if kind is FOR else body()
            results = []
            for name, structure in structures.items():
                value = self.frame.env.get(name, before[name])
                leaves = []
                if _structure(value, leaves, self, node) != structure:
                    raise NonDifferentiableError(f"{_show(name)} changes structure inside the loop", self.loc(node))
                results.extend(leaves)
        return _LoweredBody(slot, reps, own, index, cond_block, side, results, avals, written_before)

    def _emit_loop(self, kind, node, lead, trips, structures, inits, lowered):
        """The loop's equation, from its settled body; its outs bound to the carried names."""
        slot, reps, own, index, cond_block, side, results, avals, _ = lowered
        leaked = [n for n in _assigned_names(node.body) if n not in structures and n in side.env]
        body_block = Block(([index] if kind is FOR else []) + [own[k] for k in reps], side.eqns,
                           [as_atom(results[k]) for k in reps])
        blocks = (body_block,) if cond_block is None else (cond_block, body_block)
        # after a loop that surely runs, a value is what the last iteration made (b = 0.0;
        # for ...: b = b + v is v's shape, not "a float or v's shape")
        after = {k: _forget(_aval(results[k])) if trips and _aval(results[k]).kind == avals[k].kind else avals[k]
                 for k in reps}
        outs = {k: Var(_list_after(after[k], own[k], results[k], inits[k], side.eqns, trips), own[k].hint)
                for k in reps}
        builder = self.frame.builder
        builder.append(Eqn(kind, [as_atom(x) for x in lead] + [as_atom(inits[k]) for k in reps],
                           [outs[k] for k in reps], {}, builder.loc, blocks))
        for k in reps:  # a carried array written in place is still the object it started as
            self.aliases.also_maybe(atom_key(as_atom(inits[k])), atom_key(outs[k]))
        for k in reps:
            # a loop that may not run gives back what it started from; so does one whose body
            # may pass its value through (a = a * 2 under an if, or after a continue)
            result = as_atom(results[k])
            passed_through = result is own[k] or atom_key(own[k]) in self.aliases.reach({atom_key(result)})
            if isinstance(as_atom(inits[k]), Var) and result is not own[k] and (not trips or passed_through):
                self.aliases.maybe(outs[k], self.aliases.reach({atom_key(as_atom(inits[k]))}), f"loop at line {node.lineno}")
        it = iter([outs[slot[k]] for k in range(len(inits))])
        for name, structure in structures.items():
            self.frame.env[name] = _rebuild(structure, it, name)
        for k in reps:
            self.changed_in_region(inits[k], T(outs[k]), [(T(own[k]), results[k], atom_key(own[k]) in side.wrote)],
                                   self.loc(node))
        for name in leaked:
            self.frame.env[name] = Undefined(name, f"{_show(name)} is assigned inside the loop at line {node.lineno} "
                                                   "but not before it; give it a value before the loop")

    def _carried_aliases(self, carried, written, node):
        """Names bound to an array that a name the body writes into is bound to. A view of
        such an array (a = x[1:] before a loop writing x[2] = v) is refused: the loop would
        have to carry it as a view; so is writing into a view made before the loop, which
        inside the loop is no longer seen to be one."""
        targets = {n: v for n in written if isinstance(v := self.frame.env.get(n), T) and _is_array(v)
                   and not _fresh_before_written(node.body, n)}
        for name, array in targets.items():
            self.refuse_view(array, name, written[name])
        for name, value in self.frame.env.items():
            for target, array in targets.items():
                if isinstance(value, T) and self.view_of(value, array) is not None:
                    raise self.view_written_in_loop(name, target, self.loc(node))
        arrays = {atom_key(v.atom) for v in targets.values()}
        return [n for n, v in self.frame.env.items() if n not in carried and _holds(v, arrays)]

    def _bound(self, before, structures, params):
        env = dict(before)
        it = iter(params)
        for name, structure in structures.items():
            env[name] = _rebuild(structure, it, name)
        return env

    def unrolled(self, node, items):
        """for x in (a, b, c): a tuple known when compiling, so the body is repeated."""
        if _contains(node.body, ast.Break) or _contains(node.body, ast.Continue):
            raise self.unsupported(node, "break/continue in a loop over a tuple or list",
                                   "loop over range(len(...)) instead")
        outside = id(items) in self.session.outside
        for item in items:
            self.assign(node.target, self.external(item) if outside else item)
            self.lower_stmts(node.body)

    def iteration(self, node):
        """(start, stop, step, bind) for range, arrays, enumerate, zip and reversed; otherwise
        the value iterated over, known when compiling (a tuple, a list, a dict), as Known."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            fn = self.name(node.func.id, node.func)
            if fn is range:
                args = [self.expr(a) for a in node.args]
                if not 1 <= len(args) <= 3:
                    raise NonDifferentiableError("range takes 1 to 3 arguments", self.loc(node))
                start, stop, step = (Const(0), args[0], Const(1)) if len(args) == 1 else (
                    args[0], args[1], args[2] if len(args) == 3 else Const(1))
                return start, stop, step, lambda target, i: self.assign(target, i)
            if fn is enumerate and len(node.args) == 1:
                seq = self.sequence(node.args[0])
                return Const(0), self.length(seq), Const(1), lambda target, i: self.assign(
                    target, (i, self.item(seq, i)))
            if fn is zip and node.args:
                seqs = [self.sequence(a) for a in node.args]
                n = self.length(seqs[0])
                for s in seqs[1:]:
                    n = self.frame.builder.call(min, (n, self.length(s)), {})
                return Const(0), n, Const(1), lambda target, i: self.assign(
                    target, tuple(self.item(s, i) for s in seqs))
            if fn is reversed and len(node.args) == 1:
                inner = self.iteration(node.args[0])
                if isinstance(inner, Known):
                    seq = self.sequence(node.args[0])
                    n = self.length(seq)
                    return n - 1, Const(-1), Const(-1), lambda target, i: self.assign(target, self.item(seq, i))
                start, stop, step, bind = inner
                n = self.frame.builder.apply(RANGE_LEN, [start, stop, step])
                last = wrap(start) + (n - 1) * wrap(step)
                return last, wrap(start) - wrap(step), -wrap(step), bind
        value = self.expr(node)
        if isinstance(value, RangeValue):  # r = range(n); for i in r
            known = value.static()
            bounds = value.bounds() if known is None else (Const(known.start), Const(known.stop), Const(known.step))
            return (*bounds, lambda target, i: self.assign(target, i))
        if isinstance(value, T):
            seq = self.iterated(value)
            return Const(0), self.length(seq), Const(1), lambda target, i: self.assign(target, self.item(seq, i))
        return Known(value)

    def sequence(self, node):
        value = self.expr(node)
        if isinstance(value, RangeValue):  # enumerate(range(n)), zip(range(n), xs): the range's numbers
            value = self.frame.builder.call(np.arange, value.bounds(), {})
        if not isinstance(value, T):
            raise NonDifferentiableError("enumerate, zip and reversed take arrays (or range) here",
                                         self.loc(node))
        return self.iterated(value)

    def iterated(self, value):
        """The array a loop iterates over, under a name of its own for as long as the loop
        runs: Python's iterator reads each item as the loop reaches it, so a write into the
        array (through any name bound to it) is seen by later items, and rebinding the name
        it came from is not. Names bound to one array share a loop slot, so the loop carries
        this one along with the array's other names when its body writes into it."""
        name = f"{ITERATED} {sum(n.startswith(ITERATED) for n in self.frame.env)}>"
        self.frame.env[name] = value
        return name

    def length(self, seq):
        return self.frame.builder.call(len, (self.frame.env[seq],), {})

    def item(self, seq, i):
        return self.frame.env[seq][i]


class _LoweredBody(NamedTuple):
    """One lowering of a loop's test and body (ControlFlow._lowered_body)."""

    slot: list  # per carried leaf, the first leaf of its slot (names bound to one array share one)
    reps: list  # the leaves that own a slot
    own: dict  # rep -> the body's parameter for that slot
    index: object  # a for loop's counter (a Var), None for a while loop
    cond_block: object  # a while loop's test, None for a for loop
    side: object  # the body's block and names (_Side)
    results: list  # per carried leaf, what the body leaves it bound to
    avals: list  # the avals the slots were given, per carried leaf
    written_before: set  # aliases.written before the body: a round that is lowered again forgets its writes


class Known:
    """What a loop iterates over when it is no range or array: a Python value (a tuple,
    a list, a dict), whose items are known when compiling."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _Side:
    def __init__(self, builder, env):
        self.builder, self.env = builder, env

    @property
    def eqns(self):
        return self.builder.eqns


def _is_bool(value):
    if isinstance(value, T):
        return value.aval.dtype is not None and value.aval.dtype.kind == "b"
    return isinstance(value, (bool, np.bool_))


def _static_truth(value):
    """True/False when a condition is known when compiling, None when it is traced."""
    if isinstance(value, T):
        if isinstance(value.atom, Const) and value.atom.known:
            v = value.atom.value
        elif value.aval.has_value:
            v = value.aval.value
        else:
            return None
    else:
        v = value
    try:
        return bool(v)
    except (TypeError, ValueError):
        return None


def _static_value(value):
    if isinstance(value, T):
        return value.const_value()
    if isinstance(value, Const):
        return value.value
    return value


def _missing(before, name):
    if name in before:
        return before[name]
    if name in FLAG_HINTS:
        return T(Const(None)) if name == RESULT else T(Const(False))
    return Undefined(name, "")


def _merge_names(before, a, b):
    """Names whose value after the if depends on the branch taken."""
    names = []
    for name in list(a) + [n for n in b if n not in a]:
        if name == "<ifexp>" or not _same_value(a.get(name, before.get(name)), b.get(name, before.get(name))):
            names.append(name)
    return names


def _same_value(x, y):
    if x is y or (isinstance(x, T) and isinstance(y, T) and x.atom is y.atom):
        return True
    if isinstance(x, T) and isinstance(y, T) and isinstance(x.atom, Const) and isinstance(y.atom, Const):
        u, v = x.atom.value, y.atom.value
        return type(u) is type(v) and isinstance(u, (bool, int, float, type(None))) and u == v
    return False


def _structure(value, leaves, lowering, node):
    """A value's shape as a tree of leaf positions; leaves collects the T leaves."""
    if isinstance(value, T):
        leaves.append(value)
        return "leaf"
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_structure(v, leaves, lowering, node) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((k, _structure(v, leaves, lowering, node)) for k, v in value.items()))
    if value is None or isinstance(value, (bool, int, float)):
        leaves.append(T(Const(value)))
        return "leaf"
    return ("static", id(value), value)


def _rebuild(structure, leaves, name):
    if structure == "leaf":
        return T(next(leaves))
    kind = structure[0]
    if kind == "static":
        return structure[2]
    if kind is dict:
        return {k: _rebuild(s, leaves, name) for k, s in structure[1]}
    return kind(_rebuild(s, leaves, name) for s in structure[1])


def _leaf_names(structures):
    names = []

    def walk(s, name):
        if s == "leaf":
            names.append(name)
        elif s[0] != "static":
            for sub in (s[1] if s[0] is not dict else [v for _, v in s[1]]):
                walk(sub, name)

    for name, s in structures.items():
        walk(s, name)
    return names


def _hint(name):
    if name.startswith(ITERATED):
        return "iterated"
    return FLAG_HINTS.get(name, "i" if name == "<index>" else name)


def _show(name):
    return repr(FLAG_HINTS.get(name, name))


def _target_hint(node):
    """The loop counter's name: the target's, when it is the counter (for t in range(n))."""
    it = node.iter
    while isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "reversed" and it.args:
        it = it.args[0]
    counts = isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
    return node.target.id if counts and isinstance(node.target, ast.Name) else "i"


def _aval(value):
    return as_atom(value).aval


def _join(a, b):
    """An aval that covers both (the value of a merge or a loop-carried slot)."""
    a, b = (a.aval if isinstance(a, (Var, Const, T)) else a), (b.aval if isinstance(b, (Var, Const, T)) else b)
    if a.kind == b.kind == "list" and ((a.dtype is None and not a.mixed) or (b.dtype is None and not b.mixed)):
        # an empty list takes its elements' aval from what is appended
        return _forget(b if a.dtype is None and not a.mixed else a)
    if a.kind == "static" and a.value is None:
        return _forget(b)
    if b.kind == "static" and b.value is None:
        return _forget(a)
    if a.same(b):
        return _forget(a)
    kind = a.kind if a.kind == b.kind else "array"
    dtype = _join_dtypes(a, b)
    shape = a.shape if (a.shape is b.shape or a.shape == b.shape) else _join_shapes(a.shape, b.shape)
    if kind == "tuple":
        return Aval("tuple")
    if kind == "list":  # items of one dtype on one path, another on the other: not known
        return Aval(kind, shape, dtype, mixed=dtype is None or a.mixed or b.mixed)
    return Aval(kind, shape, dtype)


def _unknown_shapes(a, b):
    """Whether avals a and b differ in a shape unknown when compiling only: two Syms, of the
    same kind and dtype. _join never makes two Syms one (a Sym is equal to itself only), so
    no round of a loop's body settles them; the body took the shape for unknown already."""
    return a.kind == b.kind and same_dtype(a.dtype, b.dtype) and isinstance(a.shape, Sym) and isinstance(b.shape, Sym)


def _join_dtypes(a, b):
    """The value is one or the other, not their promotion: two arrays of two dtypes make it
    unknown. A Python number is weak (s = 0.0; for ...: s = s + x is x's dtype after the
    loop, float32 for a float32 x), so beside an array it takes the array's dtype when
    NumPy would keep it (an int, or a float beside a float array)."""
    if same_dtype(a.dtype, b.dtype):
        return a.dtype
    for weak, other in ((a, b), (b, a)):
        if (weak.kind == "scalar" and other.kind == "array" and weak.dtype is not None and other.dtype is not None
                and result_dtype([weak, other]) == other.dtype):
            return other.dtype
    return None


def _join_shapes(s, t):
    """A shape that may be s or t. Where one is () (a float the loop or branch turns into an
    array of shape t), it is one that broadcasts with t to t, as () and t both do: b = 0.0;
    for ...: b = b + v has v's shape after the loop, and so does b + v inside it."""
    for one, other in ((s, t), (t, s)):
        if isinstance(one, Sym) and (other == () or (isinstance(other, tuple) and one.parts == {other})):
            return one  # it covers () and other already
        if one == ():
            return Sym(other.parts if isinstance(other, Sym) else frozenset([other]))
    return Sym()


def _static_trips(lead):
    """The trip count of `for i in range(start, stop, step)` when known when compiling."""
    return range_length([_static_value(x) for x in lead])


def _list_after(aval, param, result, init, eqns, trips):
    """A loop-carried list's aval after the loop: its length is known when the trip count
    and the initial length are, and every iteration appends the same number of items."""
    start = _aval(init).length
    if aval.kind != "list" or trips is None or start is None:
        return aval
    appended = _appended(as_atom(result), param, eqns)
    return aval if appended is None else Aval("list", aval.shape, aval.dtype, length=start + appended * trips)


def _appended(atom, param, eqns):
    """How many items one run of eqns appends to the list param to make atom: appends, and
    inner loops of known trip counts that append the same number each time (the rows a
    loop over fingers and their bones records); None where that is not known."""
    made = {o.id: e for e in eqns for o in e.outs}
    appended = 0
    while isinstance(atom, Var) and atom is not param:
        eqn = made.get(atom.id)
        if eqn is not None and eqn.prim is lists.LIST_APPEND:
            atom, appended = eqn.ins[0], appended + 1
            continue
        if eqn is None or eqn.prim is not FOR or static_trips(eqn) is None:
            return None
        j = next(k for k, o in enumerate(eqn.outs) if o is atom)
        body = eqn.blocks[0]
        if j >= carried_count(eqn):
            return None
        inner = _appended(as_atom(body.results[j]), body.params[1 + j], body.eqns)
        if inner is None:
            return None
        atom, appended = eqn.ins[3 + j], appended + inner * static_trips(eqn)
    return appended if atom is param else None


def _forget(a):
    """The same kind, shape and dtype, without a compile-time value or length (they vary)."""
    if not a.has_value and a.length is None:
        return a
    return Aval(a.kind, a.shape, a.dtype, mixed=a.mixed)


def _contains(stmts, kind):
    """Whether a kind of statement occurs in stmts, not counting nested loops and functions
    (a break there belongs to that loop)."""
    for stmt in stmts:
        if isinstance(stmt, kind):
            return True
        if isinstance(stmt, (ast.For, ast.While)) and kind in (ast.Break, ast.Continue):
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        for field in ("body", "orelse"):
            if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try)) and _contains(getattr(stmt, field, []), kind):
                return True
    return False


def _read_after(function, name, line):
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) and n.lineno > line
               for n in ast.walk(function))


def _appended_names(stmts):
    return {n.func.value.id for s in stmts for n in ast.walk(s)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("append", "extend")
            and isinstance(n.func.value, ast.Name)}


def _is_array(value):
    a = value.aval
    return a.kind == "array" and isinstance(value.atom, Var) and not (a.known_shape and a.shape == ())


def _holds(value, arrays):
    """Whether value is one of these arrays, or a list, tuple or dict holding one."""
    if isinstance(value, T):
        return atom_key(value.atom) in arrays
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_holds(v, arrays) for v in value)


def _slots(inits, split):
    """For each carried leaf, the first leaf bound to the same array (itself otherwise)."""
    first, slot = {}, []
    for k, v in enumerate(inits):
        key = atom_key(v.atom) if isinstance(v, T) and _is_array(v) and atom_key(v.atom) not in split else ("leaf", k)
        slot.append(first.setdefault(key, k))
    return slot


def _shared_on_one_path(results, reps):
    """For each out of a cond, the other outs that are one array with it in one branch
    (x[0] = v; a = x on one side, a = np.sin(x) on the other): a write into one changes
    the other on that path only."""
    shared = {k: set() for k in reps}
    for branch in results:
        by_array = {}
        for k in reps:
            by_array.setdefault(atom_key(as_atom(branch[k])), []).append(k)
        for ks in by_array.values():
            for k in ks:
                shared[k].update(j for j in ks if j != k)
    return shared


def _written_names(stmts):
    """Names the statements write into (x[i] = v, x += v), not counting nested functions,
    each with its first write."""
    names = {}
    for node in _walk_statements(stmts):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AugAssign) else []
        for t in targets:
            base = t
            while isinstance(base, ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name) and (base is not t or isinstance(node, ast.AugAssign)):
                names.setdefault(base.id, t)
    return names


def _fresh_before_written(stmts, name):
    """Whether every iteration binds name to a new array before anything writes into it
    (c = c.copy(), then c[2] = v): the writes never reach the array it held before the loop."""
    for stmt in stmts:
        if name in _written_names([stmt]):
            return False
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id == name:
            return _makes_new_array(stmt.value)
        if name in _assigned_names([stmt]):
            return False  # bound on some paths only, or by a construct not followed here
    return False


def _makes_new_array(node):
    """Arithmetic and copies give new arrays; a name, an index or a reshape may give the same one."""
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        f = node.func
        if f.attr == "copy" and not node.args:
            return True  # c.copy()
        return (f.attr in ("copy", "array") and isinstance(f.value, ast.Name) and f.value.id in ("np", "numpy")
                and not node.keywords)
    return False


def _walk_statements(stmts):
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _walk_statements(getattr(stmt, field, []) or [])


def _surely_assigned(stmts):
    """Names that statements at the top of stmts bind to whatever they compute (y = ..., a, b = ...),
    so that stmts surely bind them (a name bound under an if or in a nested loop may not be)."""
    names = []
    for stmt in stmts:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(
            stmt, ast.AnnAssign) and stmt.value is not None else []
        for target in targets:
            for t in target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]:
                if isinstance(t, ast.Name) and t.id not in names:
                    names.append(t.id)
    return names


def _assigned_names(stmts):
    """Names a statement list binds (or appends to), in order of first appearance."""
    names = []

    class Visitor(ast.NodeVisitor):
        def visit_Name(self, node):
            if isinstance(node.ctx, ast.Store) and node.id not in names:
                names.append(node.id)

        def visit_Call(self, node):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr in ("append", "extend") and isinstance(f.value, ast.Name):
                if f.value.id not in names:
                    names.append(f.value.id)
            self.generic_visit(node)

        def visit_Subscript(self, node):
            if isinstance(node.ctx, ast.Store):
                base = node.value
                while isinstance(base, ast.Subscript):
                    base = base.value
                if isinstance(base, ast.Name) and base.id not in names:
                    names.append(base.id)
            self.generic_visit(node)

        def visit_FunctionDef(self, node):
            if node.name not in names:
                names.append(node.name)

        def visit_Lambda(self, node):
            pass

    for s in stmts:
        Visitor().visit(s)
    return names

