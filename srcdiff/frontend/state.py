"""The state a lowering reads and writes, in three objects with their contracts.

`Lowering` (lower.py) is one frame's lowering: its methods, spread over the four files
of this package, hold nothing but these three, so `self.session.x`, `self.aliases.x` and
`self.frame.x` say which state a method touches.

- `Session`: one per call of `lower()`, shared by every function lowered for it (the
  function differentiated, the calls inlined into it, a recursive function lowered on its
  own). A derivative called inside (grad of a jvp) is lowered by a `lower()` of its own;
  its guards join this session's where it is inlined.
- `Aliasing`: one per IR function being built (the function differentiated with the calls
  inlined into it, or a recursive function lowered on its own): which array values are one
  Python object, and where the code wrote into one. The ids it holds are those of atoms
  of that one function's equations.
- `Frame`: one per Python function being lowered, an inlined call's too: its names and
  the block being written."""
from dataclasses import dataclass, field

from ..ir import Var


@dataclass(eq=False)
class Session:
    """What every function lowered by one call of lower() shares.

    guards     (holder, key, value) for each value read from outside when compiling (a
               global, a closure cell, an attribute, a container's contents): what the
               compiled code assumes (srcdiff/guards.py). Appended to, never read here.
    outside    id -> a list, tuple or dict from outside the function: its items are read
               like globals (and guarded) when they are, and writes never renew it.
    functions  call signature -> CallTarget: the functions lowered on their own (a
               recursion, a large callee), each lowered once per signature and called.
    jvp_ir     the compiler's hook for srcdiff.jvp called inside (protocol.py), or None.
    made       id -> a container of the arguments' that the lowering made (a dataclass, a
               namedtuple of traced leaves): its attributes are read as they are, unguarded."""

    jvp_ir: object = None
    made: dict = field(default_factory=dict)
    guards: list = field(default_factory=list)
    outside: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)


def atom_key(atom):
    """How the aliasing model names an IR value: a variable by its SSA id, never reused (a
    Python id() is, once a loop body lowered again drops the variables of the last try),
    a constant by its object (a global array, alive as long as its module)."""
    return atom.id if isinstance(atom, Var) else ("const", id(atom))


@dataclass(eq=False)
class Aliasing:
    """Which array values of one IR function are one Python object, as NumPy would have it.

    An IR value is immutable: `x[i] = v` makes a new value, and every name bound to the
    old one is rebound to the new (Lowering.rebind). What that needs to know:

    written       Var ids of the array values written into (x[i] = v, x += v).
    may_alias     key of an if's or loop's out -> (keys of the atoms it may be the same
                  array as, on some paths only; where, for the error): a write into it
                  is refused, as it would reach the other name on some paths only.
    changed_from  key of an atom changed in place -> (that atom, the atom it was before
                  the write): what `is_changed` follows back.
    loops         source locations of the loops being lowered, innermost last: a view
                  written through inside one is refused (its slot would be a copy)."""

    written: set = field(default_factory=set)
    may_alias: dict = field(default_factory=dict)
    changed_from: dict = field(default_factory=dict)
    loops: list = field(default_factory=list)

    def wrote(self, atom):
        """The code writes into the array value atom (a Var; a Const is no one's array)."""
        self.written.add(getattr(atom, "id", None))

    def maybe(self, out, ids, where):
        """out (an if's or loop's result) is one of these arrays on some paths only."""
        self.may_alias[atom_key(out)] = (ids, where)

    def also_maybe(self, old, new):
        """What may be the array old (an atom's key) may be new, the same object, too."""
        for ids, _ in self.may_alias.values():
            if old in ids:
                ids.add(new)

    def same_object(self, old, new):
        """Value new is the array value old is (keys of their atoms): what may be the old
        array may be the new one, and the new one may be what the old may be."""
        self.also_maybe(old, new)
        if old in self.may_alias:
            self.may_alias[new] = self.may_alias[old]

    def reach(self, ids):
        """These arrays and every array they may be in turn."""
        ids, todo = set(ids), list(ids)
        while todo:
            for more in self.may_alias.get(todo.pop(), (set(), ""))[0] - ids:
                ids.add(more)
                todo.append(more)
        return ids

    def changed(self, new, old):
        """new (an atom) is the array old after a write into it."""
        self.changed_from[atom_key(new)] = (new, old)

    def is_changed(self, before, after):
        """Whether value `after` is the array `before`, changed in place or not at all."""
        a = after.atom
        while a is not before.atom and atom_key(a) in self.changed_from:
            a = self.changed_from[atom_key(a)][1]
        return a is before.atom

    def changes_since(self, known):
        """Keys of the arrays written into since `known` (a copy of changed_from's keys)."""
        return {atom_key(old) for k, (_, old) in self.changed_from.items() if k not in known}


@dataclass(eq=False)
class Frame:
    """One Python function being lowered; an inlined call has a frame of its own (its own
    names) that writes into its caller's current block.

    fn, parsed, node  the function (a method's own function), its source, and the def or
                      lambda lowered (a nested def's own node when lowered on its own)
    cells             closure cells by free name
    builder           the current block's Builder: the frame's body, or an if's side or
                      loop's body while it is lowered (Lowering.isolated swaps it)
    env               names -> values (T, containers of them, LocalFunction, Undefined, the
                      flags of control.py); swapped with the builder
    outer, caller     the Lowering of the frame a nested def or lambda was defined in
                      (free names are looked up there), and of the frame this one is
                      inlined into: the frames a write into an array may reach
    stack             (function, argument signature) of each call being inlined down to
                      here: a call that recurs with the same signature is not inlined
    regions           how many of this frame's ifs and loops are being lowered: inside one,
                      other frames see a write only through the region's out
    on_its_own        a recursive function, lowered once as a function of its own: a write
                      into an array from outside it is refused
    params            the parameters, once Lowering.lower made them
    standalone        (the Lowering, the call, the values lifted) where a local def or lambda was given to a
                      srcdiff transformation, when it is lowered on its own for it: what it
                      reads of the values the function it was defined in computes (Lowering.lifted)"""

    fn: object
    parsed: object
    node: object
    cells: dict
    builder: object
    env: dict = field(default_factory=dict)
    outer: object = None
    caller: object = None
    stack: tuple = None
    regions: int = 0
    on_its_own: bool = False
    params: list = field(default_factory=list)
    standalone: tuple = None

    def node_name(self):
        """The function's name for an error: a def's, or "the lambda"."""
        return getattr(self.node, "name", None) or "the lambda"

    def reached(self):
        """This frame, then every frame it is inlined into or defined in, each once: the
        frames whose names a write into an array of this one may reach."""
        seen, todo = set(), [self]
        while todo:
            frame = todo.pop()
            if id(frame) not in seen:
                seen.add(id(frame))
                yield frame
                todo += [lowering.frame for lowering in (frame.caller, frame.outer) if lowering is not None]
