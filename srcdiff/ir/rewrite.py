"""Rewrite rules: local algebra written down as what it is, a pattern and what it equals.

    rule("--x is x", P(NEG, P(NEG, x)), x)
    rule("a + -b is a - b", P(ADD, a, P(NEG, b)), P(SUB, a, b))

A pattern is a tree of P(op, *operands, **params). Its root is the operation being
built (in a builder) or an equation (in a pass); a P below it matches the equation
that made that operand. The leaves are holes: Hole("x") matches any operand, and a
hole named twice matches the same operand twice; Rest("idx") matches the operands
left; a number matches a Python number equal to it. A P's params must equal the
equation's (a missing param reads as None); P(op, ..., name="n") also binds the
operand it matched to n, and its equation to m.eqns["n"]. An op may be a Choice of
ops, bound by name, so one rule covers a + b, a - b, a * b and a / b alike. Operations
declared commutative (ir/op.py) match their two operands in either order.

A replacement is a hole's name or a Hole (the result is that operand), a P tree
(built innermost first through the caller's emit, so its parts are rewritten in
turn; a P's op may name a Choice), a number, or a function of the match giving one
of those. `when` is a function of the match: the rule applies only where it holds.

Rules(...) is an ordered rule set; sets combine with +. The first rule whose
pattern matches and whose `when` holds applies. A set made with private=True
rewrites only where every equation its pattern matched below the root is read by
the pattern alone, by the read counts the caller gives (ir/regions.read_counts, where
a block's result and a loop's record count as reads): fusing 1 / (1 + exp(-z)) into
one operation saves work only if nothing else reads exp(-z).

The builder (prims/core.py) asks a rule set about every operation a derivative
rule builds; a pass (transforms/) asks it about every equation of a function.
Both go through `Rules.rewrite`."""
from .core import Const, Var


class Hole:
    def __init__(self, name, test=None):
        self.name = name
        self.test = test  # atom -> bool, or None for any atom

    def __repr__(self):
        return self.name


class Rest(Hole):
    """The operands left, as a list (a variadic operation's index operands)."""


class Choice:
    """One of several ops, bound to `name` in the match."""

    def __init__(self, name, *ops):
        self.name = name
        self.ops = ops


class P:
    def __init__(self, op, *args, name=None, keep=False, **params):
        self.op = op
        self.args = args
        self.name = name
        self.keep = keep  # in a replacement: the params of the operation it replaces
        self.params = params
        # for the quick look before a match: per operand, what it must be (_quick)
        self.quick = tuple(_quick(a) for a in args)

    def __repr__(self):
        return f"P({getattr(self.op, 'name', self.op)}, {', '.join(map(repr, self.args))})"


def _quick(pat):
    """What an operand matching pat must be, for the quick look: None (anything), a test of
    the atom, CONSTANT, or the ops one of which made it."""
    if isinstance(pat, Rest) or (isinstance(pat, Hole) and pat.test is None):
        return None
    if isinstance(pat, Hole):
        return pat.test
    if isinstance(pat, (int, float)):
        return CONSTANT
    if isinstance(pat, P) and not isinstance(pat.op, str):  # (a replacement's P may name a choice)
        return frozenset(pat.op.ops if isinstance(pat.op, Choice) else (pat.op,))
    return None  # a replacement's computed part


CONSTANT = "a constant"


class Match:
    """The bindings of one match: m.x is the operand hole x matched, m.op(name) a
    Choice's op, m.eqns[name] a named P's equation, m.params the root's params,
    m.producer the equation that made an operand (for a condition that looks further)."""

    def __init__(self, params, producer):
        self.bound = {}
        self.eqns = {}
        self.ops = {}
        self.params = params
        self.producer = producer
        self.read = {}  # id of a matched equation's result -> times the pattern reads it

    def __getattr__(self, name):
        try:
            return self.__dict__["bound"][name]
        except KeyError:
            raise AttributeError(name) from None


class Rule:
    def __init__(self, name, pattern, replacement, when=None):
        self.name = name
        self.pattern = pattern
        self.replacement = replacement
        self.when = when

    def __repr__(self):
        return f"<rule {self.name}>"


def rule(name, pattern, replacement, when=None):
    return Rule(name, pattern, replacement, when)


# A derivative rule's output is rewritten until no rule applies; every rule makes the
# operation simpler, and this many rounds is far more than any chain of them takes.
MAX_ROUNDS = 16


class Rules:
    def __init__(self, name, *rules, private=False):
        self.name = name
        self.rules = [r for part in rules for r in (part.rules if isinstance(part, Rules) else [part])]
        self.private = private
        self._by_op = {}  # root op -> its rules, in order: an operation tries only those that can match it
        for r in self.rules:
            root = r.pattern.op
            for op in root.ops if isinstance(root, Choice) else (root,):
                self._by_op.setdefault(op, []).append(r)
        self.ops = frozenset(self._by_op)  # the ops some rule of the set may rewrite

    def __add__(self, other):
        return Rules(f"{self.name}+{other.name}", self, other, private=self.private or other.private)

    def __iter__(self):
        return iter(self.rules)

    def first(self, op, atoms, params, producer, uses=None):
        """(rule, match) of the first rule that applies to op(*atoms; params), or None."""
        for r in self._by_op.get(op, ()):
            for m in _match_root(r.pattern, op, atoms, params, producer):
                if self.private and not _private(m, uses):
                    continue
                if r.when is None or r.when(m):
                    return r, m
        return None

    def rewrite(self, op, atoms, params, producer, emit, uses=None):
        """What op(*atoms; params) is after the rules: (op, atoms, params) to build, or
        (None, atom, None) when it is an operand already there. emit(op, atoms, params)
        builds one operation of a replacement and gives its result."""
        for _ in range(MAX_ROUNDS):
            found = self.first(op, atoms, params, producer, uses)
            if found is None:
                break
            r, m = found
            made = _replacement(r.replacement, m)
            if not isinstance(made, P):
                return None, _operand(made, m, emit), None
            op, atoms, params = _operation(made, m, emit)
        return op, atoms, params


def _replacement(replacement, m):
    """A replacement given as a function of the match, applied; any other, as it is."""
    return replacement(m) if callable(replacement) else replacement


def _operation(template, m, emit):
    """(op, atoms, params) of a replacement's P, its operands built."""
    atoms = []
    for a in template.args:
        if isinstance(a, Rest):
            atoms.extend(m.bound[a.name])
        else:
            atoms.append(_operand(a, m, emit))
    params = dict(m.params) if template.keep else {}
    params.update((k, v(m) if callable(v) else v) for k, v in template.params.items())
    return _op(template.op, m), atoms, params


def _op(op, m):
    return m.ops[op] if isinstance(op, str) else op


def _operand(template, m, emit):
    """The atom a piece of a replacement stands for, building what it names."""
    template = _replacement(template, m)
    if isinstance(template, Hole):
        return m.bound[template.name]
    if isinstance(template, str):
        return m.bound[template]
    if isinstance(template, P):
        return emit(*_operation(template, m, emit))
    if isinstance(template, (Var, Const)):
        return template
    return Const(template)


def _match_root(pattern, op, atoms, params, producer):
    if isinstance(pattern, Hole):
        raise TypeError("a rule's pattern is an operation, not a hole")
    if _may_match(pattern, op, atoms, producer):
        yield from _match_op(pattern, op, atoms, params, producer, Match(params, producer))


def _may_match(pattern, op, atoms, producer):
    """A quick look, one level down, before the full match: most operations a builder makes
    match no rule, and most are told so by their operands or the ops that made them."""
    orders = (atoms, atoms[::-1]) if op.commutative and len(atoms) == 2 else (atoms,)
    for order in orders:
        for need, a in zip(pattern.quick, order):
            if need is None:
                continue
            if need is CONSTANT:
                if type(a) is not Const:
                    break
            elif type(need) is frozenset:
                made = producer(a) if type(a) is Var else None
                if made is None or made.prim not in need:
                    break
            elif not need(a):
                break
        else:
            return True
    return False


def _match_op(pattern, op, atoms, params, producer, m):
    """Each way op(*atoms; params) matches pattern, as m (its bindings made in place: each
    is undone when the search backtracks past it)."""
    if isinstance(pattern.op, Choice):
        if op not in pattern.op.ops:
            return
        bound = m.ops.get(pattern.op.name)
        if bound is not None and bound is not op:
            return
    elif op is not pattern.op:
        return
    for key, want in pattern.params.items():
        have = params.get(key)
        if not (want(have) if callable(want) else _equal(have, want)):
            return
    new_op = isinstance(pattern.op, Choice) and pattern.op.name not in m.ops
    if new_op:
        m.ops[pattern.op.name] = op
    yield from _match_args(pattern.args, atoms, 0, producer, m)
    if op.commutative and len(atoms) == 2:
        yield from _match_args(pattern.args, (atoms[1], atoms[0]), 0, producer, m)
    if new_op:
        del m.ops[pattern.op.name]


def _equal(have, want):
    return type(have) is type(want) and have == want if isinstance(want, (int, float)) else have == want


def _match_args(pats, atoms, k, producer, m):
    """Each way atoms[k:] match pats[k:]."""
    if k == len(pats):
        if k == len(atoms):
            yield m
        return
    first = pats[k]
    if isinstance(first, Rest):
        yield from _bind(first, list(atoms[k:]), m)
        return
    if k == len(atoms):
        return
    for _ in _match_atom(first, atoms[k], producer, m):
        yield from _match_args(pats, atoms, k + 1, producer, m)


def _bind(hole, value, m):
    if hole.name in m.bound:
        if not _same(m.bound[hole.name], value):
            return
        counted = isinstance(value, Var) and value.id in m.read  # a matched result, read once more
        if counted:
            m.read[value.id] += 1
        yield m
        if counted:
            m.read[value.id] -= 1
        return
    if hole.test is not None and not hole.test(value):
        return
    m.bound[hole.name] = value
    yield m
    del m.bound[hole.name]


def _same(a, b):
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return a is b or (isinstance(a, Var) and isinstance(b, Var) and a.id == b.id)


def _match_atom(pat, atom, producer, m):
    if isinstance(pat, Hole):
        yield from _bind(pat, atom, m)
        return
    if isinstance(pat, (int, float)):
        if isinstance(atom, Const) and type(atom.value) in (int, float) and atom.value == pat:
            yield m
        return
    made = producer(atom) if isinstance(atom, Var) else None
    if made is None or made.blocks or len(made.outs) != 1:
        return
    named = pat.name is not None and pat.name not in m.bound
    if pat.name is not None and not named and not _same(m.bound[pat.name], atom):
        return
    m.read[atom.id] = m.read.get(atom.id, 0) + 1
    if named:
        m.bound[pat.name] = atom
        m.eqns[pat.name] = made
    yield from _match_op(pat, made.prim, made.ins, made.params, producer, m)
    if named:
        del m.bound[pat.name], m.eqns[pat.name]
    m.read[atom.id] -= 1
    if not m.read[atom.id]:
        del m.read[atom.id]


def _private(m, uses):
    """Whether every equation matched below the root is read by the pattern alone."""
    return uses is not None and all(uses.get(i, 0) == n for i, n in m.read.items())


def rewrite_in_place(block, rules, uses):
    """Every equation of block (and of the blocks inside it) that a rule applies to becomes
    the operation its replacement names, on operands already there; the equations it made
    unread are left to dead-code elimination."""
    made = {}
    for eqn in block.eqns:
        for b in eqn.blocks:
            rewrite_in_place(b, rules, uses)
        made.update((o.id, eqn) for o in eqn.outs)
        if eqn.blocks or len(eqn.outs) != 1:
            continue
        op, atoms, params = rules.rewrite(eqn.prim, eqn.ins, eqn.params, lambda a: made.get(a.id),
                                          _no_new_operations, uses)
        if op is not None and op is not eqn.prim:
            eqn.prim, eqn.ins, eqn.params = op, atoms, params


def _no_new_operations(op, atoms, params):
    raise TypeError("a rule rewriting in place names one operation on operands already there")
