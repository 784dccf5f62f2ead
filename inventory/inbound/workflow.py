"""The inbound order state machine (SPEC §5): the one place that says which transitions exist and who may
make them, and what each step must record."""

from dataclasses import dataclass

from inventory.models import InboundOrder

S = InboundOrder.State
SELLER, OPS = "seller", "ops"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    actor: str  # who may make it: SELLER or OPS
    requires: tuple[str, ...] = ()  # order fields that must be filled in by this step


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, S.SUBMITTED, SELLER),
    Transition(S.SUBMITTED, S.IN_TRANSIT, OPS, ("carrier", "tracking_number", "etd", "eta")),
    Transition(S.IN_TRANSIT, S.EXPORT_CLEARED, OPS, ("export_declaration_no",)),
    Transition(S.EXPORT_CLEARED, S.IMPORT_CLEARED, OPS, ("import_declaration_no",)),
    Transition(S.IMPORT_CLEARED, S.RECEIVING, OPS),
    Transition(S.RECEIVING, S.COMPLETED, OPS),
    Transition(S.DRAFT, S.CANCELLED, SELLER),
    Transition(S.SUBMITTED, S.CANCELLED, SELLER),
    *(
        Transition(state, S.ON_HOLD, OPS, ("hold_reason",))
        for state in (S.IN_TRANSIT, S.EXPORT_CLEARED, S.IMPORT_CLEARED, S.RECEIVING)
    ),
)
HOLDABLE = {t.source for t in TRANSITIONS if t.target == S.ON_HOLD}
MAIN_PATH = (S.DRAFT, S.SUBMITTED, S.IN_TRANSIT, S.EXPORT_CLEARED, S.IMPORT_CLEARED, S.RECEIVING, S.COMPLETED)


class TransitionError(Exception):
    """An illegal step: the message says why, in words the user understands."""


def find_transition(order: InboundOrder, target: str, actor: str) -> Transition:
    """The allowed transition of ``order`` to ``target`` by ``actor``; a clear error otherwise.

    ``on_hold`` returns only to the state it left (``held_state``), by ops.
    """
    source = order.state
    if source == S.ON_HOLD:
        if actor == OPS and target == order.held_state:
            return Transition(S.ON_HOLD, target, OPS)
        raise TransitionError(
            f"Order {order.number} is on hold; ops can only release it back to “{S(order.held_state).label}”."
        )
    for transition in TRANSITIONS:
        if transition.source == source and transition.target == target:
            if transition.actor != actor:
                who = "the seller" if transition.actor == SELLER else "warehouse operations"
                raise TransitionError(
                    f"Only {who} can move an order from “{S(source).label}” to “{S(target).label}”."
                )
            return transition
    allowed = [str(S(t.target).label) for t in TRANSITIONS if t.source == source and t.actor == actor]
    hint = f" Next possible: {', '.join(allowed)}." if allowed else ""
    raise TransitionError(f"An order cannot go from “{S(source).label}” to “{S(target).label}”.{hint}")


def next_states(order: InboundOrder, actor: str) -> list[str]:
    if order.state == S.ON_HOLD:
        return [order.held_state] if actor == OPS else []
    return [t.target for t in TRANSITIONS if t.source == order.state and t.actor == actor]


def step_index(state: str) -> int:
    """Position on the main path (for the progress bar); terminal side states count as the last step."""
    return MAIN_PATH.index(state) if state in MAIN_PATH else -1
