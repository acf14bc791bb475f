"""The node table of PROCEDURE.md section 4 as data: the one source of the steps' vocabulary.

A step's definition carries everything that varies by step: its title, who owns
it, how long it may take and from when that counts, when it applies, its
outcomes with the buttons that lead to them and what each opens (or sends back
for rework), which other steps it completes, what a note on it records, and
whether it asks for the plant of origin. The engine (bot.procedure.engine), the
keyboards, the labels and the callback codes all read this table; a new
outcome is a line here and, where its text shows, a template.

Titles and labels are message ids (English source strings) for the catalogues.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.procedure.grading import Demand, Grade, borne_out
from bot.procedure.signatures import Meaning


def N_(message: str) -> str:
    """Marks a message id for extraction; the views translate it."""
    return message


class StepStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"  # no longer needed (the case ended another way)
    SUPERSEDED = "superseded"  # done, then sent back for rework


STEP_STATUS_LABELS = {
    StepStatus.OPEN: N_("open"),
    StepStatus.DONE: N_("done"),
    StepStatus.SKIPPED: N_("not needed"),
    StepStatus.SUPERSEDED: N_("sent back"),
}


class ComplaintStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # every applicable step done (or no longer needed)


COMPLAINT_STATUS_LABELS = {
    ComplaintStatus.OPEN: N_("open"),
    ComplaintStatus.CLOSED: N_("closed"),
}


class Anchor(StrEnum):
    """What a time limit counts from."""

    RECEIVED = "received"  # T0: sales received the complaint
    OCCURRED = "occurred"  # Tocc: the customer found the problem
    OPENED = "opened"  # the step opened (the step before was done, or the report was issued)


class Owner(StrEnum):
    """Who owns a step: each has its group chats (per plant) or named people."""

    SALES = "sales"
    QC = "qc"  # QC with technical (质检部门及技术部门)
    PRODUCTION = "production"
    # The plant's leading VP (Huangwu: executive VP; Laishan and contractors: production VP).
    LEADING_VP = "leading_vp"
    # The production VP for every plant: signs the verification on the form (生产质量副总).
    PRODUCTION_VP = "production_vp"
    # Whom the rectification plan names for one item (its owner, or who accepts it).
    ASSIGNEE = "assignee"


OWNER_LABELS = {
    Owner.SALES: N_("Sales"),
    Owner.QC: N_("QC/technical"),
    Owner.PRODUCTION: N_("Production"),
    Owner.LEADING_VP: N_("Leading VP"),
    Owner.PRODUCTION_VP: N_("Production VP"),
    Owner.ASSIGNEE: N_("Named in the plan"),
}


class Reader(StrEnum):
    """Who reads a step's result when it is done (feedback the source sends on)."""

    SALES_GROUP = "sales_group"
    FILER = "filer"  # the salesperson who filed the complaint
    GM = "gm"
    EXECUTIVE_VP = "executive_vp"


class Outcome(StrEnum):
    """How a step ended; stored with the step."""

    DONE = "done"
    NOT_QUALITY = "not_quality"  # step 2: not a product quality problem
    SATISFIED = "satisfied"  # step 16
    NOT_SATISFIED = "not_satisfied"  # step 16: back to step 3
    ACCEPTED = "accepted"  # step 2a: the customer accepted the explanation
    NOT_ACCEPTED = "not_accepted"  # step 2a: not accepted, so QC appraise it after all
    NOT_TODAY = "not_today"  # step 3: appraised, and it cannot be solved the same day
    EFFECTIVE = "effective"  # step 15: the production VP signs the verification off
    NOT_EFFECTIVE = "not_effective"  # step 15: the rectification runs again
    SENT_BACK = "sent_back"  # a plan item not accepted: its owner does it again
    HELD = "held"  # the recheck a month on: the fix held
    RECURRED = "recurred"  # the recheck: the problem came back, the plan runs again


@dataclass(frozen=True)
class OutcomeDef:
    """One way to finish a step: its button, and what follows from it."""

    outcome: Outcome
    code: str  # the press code in callback data (short: callback data is 64 bytes)
    button: str  # message id of the button's label
    record: str  # message id of how the card and the history say it
    opens: tuple[str, ...] | None = None  # None: what the step itself opens
    sends_back: tuple[str, ...] = ()  # done steps that are run again (rework)
    ends_case: bool = False  # every other open step is no longer needed
    # QC's answer to "can it be solved the same day?" that this outcome gives (step 3).
    solvable_today: bool | None = None
    signs: Meaning | None = None  # the press is a signature with this meaning
    starts_recheck: bool = False  # a recheck of the fix falls due a while after it
    recurs: bool = False  # the problem came back: the complaint is marked recurring


DONE = OutcomeDef(Outcome.DONE, "done", N_("Done"), N_("done"))


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What decides which steps apply to a complaint: what happened, not the grade letter.

    The demands and flags come from intake; QC and technical may change the nature
    and the flags at the appraisal (step 3), and answer there whether the problem
    can be solved the same day.
    """

    grade: Grade
    demands: frozenset[Demand] = frozenset()
    batch: bool = False
    recurring: bool = False
    solvable_today: bool | None = None  # None until the appraisal answers it

    @property
    def weighed(self) -> frozenset[Demand]:
        """The demands the nature bears out (all of them, unless QC judged it lighter)."""
        return frozenset(d for d in self.demands if borne_out(d, self.grade))

    @property
    def returned(self) -> bool:
        return Demand.RETURN in self.weighed

    @property
    def returns_or_claims(self) -> bool:
        """退货、索赔等重大问题: a return, a claim or the contract ended; also a problem
        QC judged very serious (A), the nature those demands give (reading)."""
        return (
            self.returned
            or bool(self.weighed & {Demand.CLAIM, Demand.TERMINATE})
            or self.grade is Grade.A
        )

    @property
    def major(self) -> bool:
        """客户退货等重大质量问题 (step 8): a return, the contract ended, or a batch
        problem. A claim alone is settled by the VP's analysis (steps 5 and 9) and
        needs no special meeting (reading)."""
        return self.returned or Demand.TERMINATE in self.weighed or self.batch

    @property
    def planned(self) -> bool:
        """The plan led by the plant's VP (steps 10, 13-15): major problems, returns and
        claims, recurring problems of any grade, and what QC say cannot be solved the
        same day (当天不能立刻解决的问题)."""
        return (
            self.major or self.returns_or_claims or self.recurring or self.solvable_today is False
        )


def _all(_: Facts) -> bool:
    return True


def _returns(facts: Facts) -> bool:
    return facts.returned


def _returns_or_claims(facts: Facts) -> bool:
    return facts.returns_or_claims


def _major(facts: Facts) -> bool:
    return facts.major


def _planned(facts: Facts) -> bool:
    return facts.planned


APPLIES_NAMES = {
    _all: "all",
    _returns: "returns",
    _returns_or_claims: "returns and claims",
    _major: "major problems",
    _planned: "plan cases",
}


@dataclass(frozen=True)
class StepDef:
    id: str
    number: str  # the node number of section 4
    title: str  # message id
    owner: Owner
    default_limit: str | None  # None: no time limit ("on completion")
    counts_from: Anchor
    applies: Callable[[Facts], bool] = _all
    opens: tuple[str, ...] = ()  # opened when this step is done
    at_registration: bool = False  # opened when the complaint is registered
    outcomes: tuple[OutcomeDef, ...] = (DONE,)
    waits_for: tuple[str, ...] = ()  # opens only once all of these are done
    completes: tuple[str, ...] = ()  # open steps that finishing this one also finishes
    records: str | None = None  # complaint field a note on completion fills in
    # The disposition report's field it fills, and who signs it there (message ids).
    record_heading: str | None = None
    signed_by: str | None = None
    signature_step: str | None = None  # whose Done signs the field, if not this step's
    asks: str | None = None  # what the prompt after completion asks for (a message id)
    asks_plant: bool = False  # while the plant of origin is unknown, the owner names it
    any_vp: bool = False  # any VP may take it over from the leading VP
    reports_to: tuple[Reader, ...] = ()  # the result (its note) goes to these
    co_owners: tuple[Owner, ...] = ()  # own it too: their groups get the card, any may do it
    sets_nature: bool = False  # while open, its owners may change the nature and flags
    # Its owners name the cause categories and the responsibility (bot/procedure/causes.py).
    asks_causes: bool = False
    holds_meeting: bool = False  # done by recording the minutes of its meeting
    fills_plan: bool = False  # done by issuing the rectification plan (step 10)
    by_items: bool = False  # done when every item of the plan is accepted (step 13)
    per_item: bool = False  # one per plan item, outside the engine's table
    attaches_8d: bool = False  # the 8D report may be attached as its answer (step 12)
    asks_fmea: bool = False  # done: whether the FMEA / control plan was updated is asked

    @property
    def pressable(self) -> bool:
        """Whether its outcomes are buttons (the plan and its items finish otherwise)."""
        return not (self.fills_plan or self.by_items)

    def outcome(self, outcome: Outcome) -> OutcomeDef | None:
        return next((o for o in self.outcomes if o.outcome == outcome), None)

    def outcome_by_code(self, code: str) -> OutcomeDef | None:
        return next((o for o in self.outcomes if o.code == code), None)

    @property
    def applies_to(self) -> str:
        return APPLIES_NAMES.get(self.applies, self.applies.__name__.strip("_"))


# The steps that "not satisfied" at step 16 runs again, from step 3 on.
REWORK = (
    "appraisal_report",
    "feedback_to_sales",
    "improvement_measures",
    "customer_solution",
    "rectification_items",
    "verification",
    "verification_signoff",
    "customer_result",
)

STEPS: tuple[StepDef, ...] = (
    StepDef(
        "register",
        "1",
        N_("Register the complaint"),
        Owner.SALES,
        "1h",
        Anchor.RECEIVED,
        at_registration=True,
    ),
    StepDef(
        "initial_assessment",
        "2",
        N_("Initial assessment: a product quality problem?"),
        Owner.QC,
        "2h",
        Anchor.RECEIVED,
        at_registration=True,
        outcomes=(
            DONE,
            OutcomeDef(
                Outcome.NOT_QUALITY,
                "nq",
                N_("Not a quality problem"),
                N_("not a quality problem"),
                opens=("explain_to_customer",),
            ),
        ),
        opens=("appraisal_report", "containment"),
        asks_plant=True,
    ),
    StepDef(
        "explain_to_customer",
        "2a",
        N_("Explain to the customer (not a quality problem)"),
        Owner.SALES,
        "end_of_day",
        Anchor.OPENED,
        # Sales say what they told the customer and whether the customer accepted it.
        # Accepted: the case closes. Not accepted: QC appraise it as a quality
        # problem after all (step 3, with containment).
        outcomes=(
            OutcomeDef(
                Outcome.ACCEPTED,
                "acc",
                N_("Customer accepted"),
                N_("explained; the customer accepted"),
                ends_case=True,
            ),
            OutcomeDef(
                Outcome.NOT_ACCEPTED,
                "nacc",
                N_("Customer did not accept"),
                N_("the customer did not accept: to step 3"),
                opens=("appraisal_report", "containment"),
            ),
        ),
        completes=("customer_answer",),
        asks=N_("Reply to this message with what you told the customer."),
    ),
    StepDef(
        "appraisal_report",
        "3",
        N_("Product quality appraisal report with cause analysis"),
        Owner.QC,
        "2h",
        Anchor.OPENED,
        # QC answer whether it can be solved the same day: if not, the plant's VP
        # leads a plan (steps 10, 13-15) whatever the grade.
        outcomes=(
            OutcomeDef(
                Outcome.DONE,
                "done",
                N_("Done: solvable today"),
                N_("done; solvable the same day"),
                solvable_today=True,
            ),
            OutcomeDef(
                Outcome.NOT_TODAY,
                "nt",
                N_("Done: not solvable today"),
                N_("done; not solvable the same day: the plant's VP leads a plan"),
                solvable_today=False,
            ),
        ),
        opens=("feedback_to_sales", "improvement_measures", "rectification_plan"),
        records="cause_analysis",
        record_heading=N_("Quality problem cause analysis"),
        signed_by=N_("Head of QC/technical"),
        sets_nature=True,
        asks_causes=True,
        asks=N_(
            "Reply to this message with the appraisal report and its cause analysis: "
            "text, a photo or a document. It fills the disposition report."
        ),
    ),
    StepDef(
        "report_return",
        "4",
        N_("Report the return to leadership with a recommendation"),
        Owner.SALES,
        "1h",
        Anchor.RECEIVED,
        _returns,
        at_registration=True,
    ),
    StepDef(
        "lead_on_site",
        "5",
        N_("Lead staff to the site, analyse causes, propose measures"),
        Owner.LEADING_VP,
        "1h",
        Anchor.OPENED,
        _returns_or_claims,
        at_registration=True,
        # The source names the executive, production and marketing VPs: the plant's
        # VP leads, and another of them may take it over.
        any_vp=True,
    ),
    StepDef(
        "containment",
        "6",
        N_("Temporary on-site containment measures"),
        Owner.QC,
        "1h",
        Anchor.OPENED,
        # The source: QC, technical *and* production of the plant contain it on site.
        co_owners=(Owner.PRODUCTION,),
    ),
    StepDef(
        "feedback_to_sales",
        "7",
        N_("Feed the corrective results back to sales"),
        Owner.QC,
        "end_of_day",
        Anchor.OPENED,
        reports_to=(Reader.SALES_GROUP, Reader.FILER),
        asks=N_("Reply to this message with the corrective results: they go to sales."),
    ),
    StepDef(
        "special_meeting",
        "8",
        N_("Special quality meeting on corrective measures"),
        Owner.LEADING_VP,
        "end_of_day",
        Anchor.OPENED,
        _major,
        at_registration=True,
        holds_meeting=True,
    ),
    StepDef(
        "report_to_gm",
        "9",
        N_("Report analysis and solution to the GM and executive VP"),
        Owner.LEADING_VP,
        "24h",
        Anchor.OPENED,
        _returns_or_claims,
        at_registration=True,
        reports_to=(Reader.GM, Reader.EXECUTIVE_VP, Reader.SALES_GROUP),
        asks=N_(
            "Reply to this message with the analysis and the solution (text or a document): "
            "they go to the GM, the executive VP and sales."
        ),
    ),
    StepDef(
        "rectification_plan",
        "10",
        N_("Fill in and submit the rectification plan"),
        Owner.LEADING_VP,
        "end_of_day",
        Anchor.OPENED,
        _planned,
        at_registration=True,
        opens=("rectification_items",),
        fills_plan=True,
    ),
    StepDef(
        "improvement_measures",
        "11",
        N_("Formulate the quality improvement measures"),
        Owner.QC,
        "24h",
        Anchor.OPENED,
        opens=("customer_solution", "rectification_items"),
        records="corrective_proposal",
        record_heading=N_("Corrective proposal"),
        signed_by=N_("Head of QC/technical"),
        asks=N_(
            "Reply to this message with the improvement measures. "
            "They fill the disposition report's corrective proposal."
        ),
    ),
    StepDef(
        "customer_solution",
        "12",
        N_("Issue the complaint solution to the customer"),
        Owner.SALES,
        "24h",
        Anchor.OPENED,
        opens=("customer_result",),
        completes=("customer_answer",),
        attaches_8d=True,
        asks=N_(
            "Reply to this message with the solution sent to the customer "
            "(《客户投诉质量问题解决方案》, text or a document) and how the customer was told."
        ),
    ),
    # Step 12's outer bound: a clear answer no later than Tocc + 48 h. It is done
    # when the solution (12) or the explanation (2a) reaches the customer.
    StepDef(
        "customer_answer",
        "12",
        N_("Clear answer to the customer (48 h after the problem was found)"),
        Owner.SALES,
        "48h",
        Anchor.OCCURRED,
        at_registration=True,
    ),
    # Step 13 as a whole: the leading VP's plan running. Each item is a task of its own
    # (ITEM_STEPS) with its own date, reminders and escalations, so this has no limit.
    StepDef(
        "rectification_items",
        "13",
        N_("Carry out the rectification items"),
        Owner.LEADING_VP,
        None,
        Anchor.OPENED,
        _planned,
        opens=("verification",),
        waits_for=("rectification_plan", "improvement_measures"),
        by_items=True,
    ),
    StepDef(
        "verification",
        "15",
        N_("Verify the effect on site"),
        Owner.QC,
        # Two days once the rectification is done (the plan's items are accepted):
        # the source gives no number; see docs/procedure.md.
        "2d",
        Anchor.OPENED,
        _planned,
        opens=("verification_signoff",),
        asks_fmea=True,
        records="verification",
        record_heading=N_("Verification of effect"),
        signed_by=N_("Production quality VP"),
        signature_step="verification_signoff",
        asks=N_(
            "Reply to this message with what the verification on site found. "
            "It fills the disposition report."
        ),
    ),
    # The form's verification is signed by the production quality VP (生产质量副总): QC
    # record it, the VP signs it off. Not effective: the rectification runs again.
    StepDef(
        "verification_signoff",
        "15",
        N_("Sign off the verification: is the rectification effective?"),
        Owner.PRODUCTION_VP,
        "1d",  # the source names no limit (reading)
        Anchor.OPENED,
        _planned,
        outcomes=(
            OutcomeDef(
                Outcome.EFFECTIVE,
                "eff",
                N_("Effective"),
                N_("effective"),
                signs=Meaning.EFFECTIVE,
                starts_recheck=True,
            ),
            OutcomeDef(
                Outcome.NOT_EFFECTIVE,
                "neff",
                N_("Not effective"),
                N_("not effective: the rectification runs again"),
                opens=("rectification_items",),
                sends_back=("rectification_items", "verification"),
                signs=Meaning.NOT_EFFECTIVE,
            ),
        ),
        opens=("customer_result",),
        asks=N_(
            "Reply to this message with your reasons (and, if not effective, what must be "
            "done again)."
        ),
    ),
    StepDef(
        "customer_result",
        "16",
        N_("Tell the customer the result: satisfied?"),
        Owner.SALES,
        "3d",  # three days to hear back from the customer after the answer (reading)
        Anchor.OPENED,
        outcomes=(
            OutcomeDef(
                Outcome.SATISFIED,
                "sat",
                N_("Customer satisfied"),
                N_("customer satisfied"),
                signs=Meaning.SATISFIED,
            ),
            OutcomeDef(
                Outcome.NOT_SATISFIED,
                "unsat",
                N_("Not satisfied"),
                N_("customer not satisfied: back to step 3"),
                opens=("appraisal_report",),
                sends_back=REWORK,
                signs=Meaning.NOT_SATISFIED,
            ),
        ),
        waits_for=("customer_solution", "verification_signoff"),
        asks=N_(
            "Reply to this message with the customer's words, or their letter as a document "
            "or photo."
        ),
    ),
)

# One task per plan item (step 13): its owner does it and shows the evidence; whom the
# plan names accepts it or sends it back. The plan service opens them, not the engine.
PLAN_ITEM = "plan_item"
ITEM_ACCEPTANCE = "item_acceptance"
ITEM_STEPS: tuple[StepDef, ...] = (
    StepDef(
        PLAN_ITEM,
        "13",
        N_("Rectification item"),
        Owner.ASSIGNEE,
        "7d",  # PROCEDURE.md step 13: 一般为1周; the plan gives each item its date
        Anchor.OPENED,
        _planned,
        per_item=True,
        asks=N_(
            "Reply to this message with the evidence that the item is done: text, photos or "
            "documents. It goes to whom accepts the item."
        ),
    ),
    StepDef(
        ITEM_ACCEPTANCE,
        "13",
        N_("Accept the rectification item"),
        Owner.ASSIGNEE,
        "1d",  # the source names no limit (reading)
        Anchor.OPENED,
        _planned,
        per_item=True,
        outcomes=(
            OutcomeDef(
                Outcome.ACCEPTED, "acc", N_("Accept"), N_("accepted"), signs=Meaning.ACCEPTED
            ),
            OutcomeDef(
                Outcome.SENT_BACK,
                "back",
                N_("Send back"),
                N_("sent back: to be done again"),
                signs=Meaning.SENT_BACK,
            ),
        ),
        asks=N_(
            "If you sent it back, reply to this message with why and what must be done "
            "again: it goes to the item's owner. A remark on an accepted item is welcome too."
        ),
    ),
)

# The recheck of IATF 16949 10.2.3: a while after the verification is signed off
# ([recheck] after, 30 days), QC check that the problem did not come back. It is opened
# by its timed job, not by the table, and may run after the complaint closed; Recurred
# runs the plan again (step 13, then the verification) and reopens the complaint.
RECHECK = "recheck"
LATER_STEPS: tuple[StepDef, ...] = (
    StepDef(
        RECHECK,
        "15",
        N_("Recheck a month on: did the problem come back?"),
        Owner.QC,
        "2d",
        Anchor.OPENED,
        _planned,
        outcomes=(
            OutcomeDef(Outcome.HELD, "held", N_("Held"), N_("the fix held")),
            OutcomeDef(
                Outcome.RECURRED,
                "recur",
                N_("Recurred"),
                N_("recurred: the plan runs again"),
                opens=("rectification_items",),
                sends_back=("rectification_items", "verification", "verification_signoff"),
                recurs=True,
            ),
        ),
        asks=N_("Reply to this message with what the recheck found (text, photos or documents)."),
    ),
)

STEP_BY_ID = {s.id: s for s in (*STEPS, *ITEM_STEPS, *LATER_STEPS)}
# The steps that fill the disposition report's lower half, in the form's order.
REPORT_FIELD_STEPS = tuple(s for s in STEPS if s.record_heading)
STEP_IDS = tuple(s.id for s in STEPS)
# Step 10: the rectification plan (the register of major problems shows it).
PLAN_STEP = "rectification_plan"
# Step 12's outer bound: the clear answer within 48 hours (the weekly summary's rate).
ANSWER_STEP = "customer_answer"
# Step 13 as a whole: done when every item of the plan is accepted.
RECTIFICATION = "rectification_items"
# Step 1 is done by filing the complaint itself.
FILING_STEP = STEPS[0].id
DEFAULT_LIMITS: dict[str, str] = {
    s.id: s.default_limit for s in STEP_BY_ID.values() if s.default_limit
}


def step(step_id: str) -> StepDef:
    return STEP_BY_ID[step_id]


def _check_table() -> None:
    """Every step a definition names exists; press codes are unique per step."""
    for definition in STEP_BY_ID.values():
        named = [
            *definition.opens,
            *definition.waits_for,
            *definition.completes,
            *(k for o in definition.outcomes for k in (o.opens or ())),
            *(k for o in definition.outcomes for k in o.sends_back),
        ]
        unknown = [k for k in named if k not in STEP_BY_ID]
        if unknown:
            raise ValueError(f"step {definition.id} names unknown steps {unknown}")
        codes = [o.code for o in definition.outcomes]
        if len(set(codes)) != len(codes):
            raise ValueError(f"step {definition.id} repeats a press code")


_check_table()
