"""The rule catalogue of `lrkit lint` and the finding record every check produces.

Each rule has a code (``LR001``), a short name, the consequence of the mistake and its fix (one
line each), and an anchor in ``docs/lint.md``. Checks build findings with `Rule.at`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["DOCS", "RULES", "Finding", "Rule"]

#: Where the rules are documented (the page in lrkit's source tree; the project has no docs site
#: yet); each finding links to ``DOCS#<code in lowercase>``.
DOCS = "docs/lint.md"


@dataclasses.dataclass(frozen=True)
class Rule:
    """One lint rule: its code, name, and what to tell the user about it.

    Args:
        code: ``LR`` and three digits.
        name: a short kebab-case name.
        consequence: what the mistake does to a run, one or two lines.
        fix: how to fix it, one or two lines.

    Example:
        >>> from lrkit.lint import RULES
        >>> rule = RULES["LR004"]
        >>> rule.name, rule.url
        ('schedule-shorter-than-loop', 'docs/lint.md#lr004')
    """

    code: str
    name: str
    consequence: str
    fix: str

    @property
    def url(self) -> str:
        """The link to the rule's section of the docs."""
        return f"{DOCS}#{self.code.lower()}"

    def at(self, path: str, node: Any, message: str) -> Finding:
        """A finding of this rule at an AST node (or anything with `lineno` and `col_offset`)."""
        return Finding(path, node.lineno, node.col_offset + 1, self.code, message, self)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem found in a file: where (1-based line and column), which rule, and what.

    Example:
        >>> from lrkit.lint import lint_source
        >>> (finding,) = lint_source("scheduler.step(epoch)\\n", "a.py")
        >>> finding.path, finding.line, finding.column, finding.code
        ('a.py', 1, 1, 'LR006')
        >>> finding.to_json()["url"]
        'docs/lint.md#lr006'
    """

    path: str
    line: int
    column: int
    code: str
    message: str
    rule: Rule

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.rule.name,
            "message": self.message,
            "consequence": self.rule.consequence,
            "fix": self.rule.fix,
            "url": self.rule.url,
        }


_CATALOGUE = (
    Rule(
        "LR000",
        "syntax-error",
        "The file cannot be parsed, so none of the other rules could check it.",
        "Fix the syntax error (python -m py_compile FILE shows it too).",
    ),
    Rule(
        "LR001",
        "scheduler-step-before-optimizer-step",
        "The schedule advances before the update it is meant for: every update uses the next "
        "step's rate, the first rate of the schedule is skipped, and torch warns at run time.",
        "Call optimizer.step() first, then scheduler.step(), in the same loop body.",
    ),
    Rule(
        "LR002",
        "per-batch-scheduler-stepped-per-epoch",
        "A schedule sized in updates (OneCycleLR, CyclicLR, a transformers or lrkit schedule) "
        "advances once per epoch, so the run ends before it leaves its warmup or first cycle.",
        "Call scheduler.step() inside the batch loop, after optimizer.step() (Lightning: "
        "'interval': 'step').",
    ),
    Rule(
        "LR003",
        "epoch-scheduler-stepped-per-batch",
        "A schedule sized in epochs advances at every batch, so it runs through all its epochs "
        "within the first one or two and sits at its floor (or cycles) for the rest of the run.",
        "Step it once per epoch, outside the batch loop, or size it in updates (epochs * len(loader)).",
    ),
    Rule(
        "LR004",
        "schedule-shorter-than-loop",
        "The schedule is shorter than the loop that steps it: torch's CosineAnnealingLR climbs back "
        "up after T_max (a restart nobody asked for); a finite lrkit schedule sits at its end value.",
        "Size the schedule by the number of steps the loop runs (T_max = that number).",
    ),
    Rule(
        "LR005",
        "plateau-step-without-metric",
        "ReduceLROnPlateau.step() needs the monitored metric; without it the call raises "
        "TypeError, at the end of the first epoch of a run.",
        "Pass the metric: scheduler.step(val_loss).",
    ),
    Rule(
        "LR006",
        "step-with-epoch",
        "step(epoch) is deprecated: it switches torch to a closed form that ignores other "
        "schedulers' changes, and repeated calls with the same epoch keep decaying in some classes.",
        "Call scheduler.step() without arguments, once per update (or per epoch).",
    ),
    Rule(
        "LR007",
        "get-lr-to-read-rate",
        "get_lr() is the internal formula of the next step, not the current rate: outside step() it "
        "returns a wrong value for chainable schedulers and warns.",
        "Read the rate with scheduler.get_last_lr() (or optimizer.param_groups[i]['lr']).",
    ),
    Rule(
        "LR008",
        "scheduler-created-after-optimizer-load",
        "A torch scheduler's constructor writes the learning rate into the optimizer, overwriting "
        "the rates optimizer.load_state_dict() just restored: the resumed run restarts its schedule.",
        "Create the scheduler before optimizer.load_state_dict(), then load the scheduler's state "
        "too (lrkit.Scheduler and lrkit.compat do not depend on the order).",
    ),
    Rule(
        "LR009",
        "checkpoint-without-scheduler",
        "The checkpoint keeps the optimizer's state but not the scheduler's: a resumed run starts "
        "its schedule from the beginning (warmup again, rate back at the peak).",
        "Save scheduler.state_dict() next to optimizer.state_dict() and load both on resume.",
    ),
    Rule(
        "LR010",
        "param-group-without-parameters",
        "The parameter group is built from a module that has no parameters (an activation, dropout "
        "or pooling layer): the group is empty and its learning rate applies to nothing.",
        "Index the layer that holds the weights (model[0], model[2], ...), or print "
        "[len(g['params']) for g in optimizer.param_groups].",
    ),
    Rule(
        "LR011",
        "uncomposed-schedulers",
        "A closed-form scheduler (LambdaLR, OneCycleLR, a transformers schedule) steps the same "
        "optimizer as another one: each step() writes base_lr * f(t), erasing what the other did.",
        "Compose them into one scheduler (SequentialLR / ChainedScheduler, or one lrkit schedule "
        "such as warmup(cosine()) or a plateau phase), or step only one of them.",
    ),
    Rule(
        "LR012",
        "removed-verbose-argument",
        "torch's schedulers lost their `verbose` argument in 2.7 (deprecated since 2.2, when it "
        "stopped printing): the constructor raises TypeError, so the script stops before training.",
        "Remove verbose=...; log scheduler.get_last_lr() yourself where you want to see the rate.",
    ),
    Rule(
        "LR013",
        "resume-restarts-schedule",
        "The run resumes from a checkpoint that cannot restore the schedule (the scheduler's state is "
        "not in it, or is saved but never loaded): the resumed run starts its schedule over.",
        "Save scheduler.state_dict() with the optimizer's and call scheduler.load_state_dict() on resume "
        "(after building the scheduler).",
    ),
    Rule(
        "LR014",
        "schedule-sized-in-micro-batches",
        "Stepped once per update under gradient accumulation but sized in micro-batches (or times the "
        "accumulation): the decay stops at 1/accumulation of its way; a warmup so multiplied lasts that "
        "much longer.",
        "Size it in updates: ceil(len(loader) / accumulation) * epochs, and the warmup in updates too.",
    ),
    Rule(
        "LR015",
        "scheduler-never-stepped",
        "A scheduler is built on this branch of the configuration but nothing steps it there: the "
        "run trains at the initial rate for its whole length.",
        "Step it where the other schedulers are stepped (or do not build it on that branch).",
    ),
    Rule(
        "LR016",
        "scheduler-step-guarded-by-rank",
        "scheduler.step() runs only on one process (rank 0) while every process updates its "
        "optimizer: the other replicas keep their initial rate, so the processes train at different rates.",
        "Call scheduler.step() on every process, outside the rank test (keep only logging and "
        "checkpointing on rank 0).",
    ),
    Rule(
        "LR017",
        "schedule-sized-for-all-processes",
        "The schedule counts the batches of all the processes, but each process steps it once per "
        "batch of its own share: under N processes it runs 1/N of its length and never finishes its decay.",
        "Size it from the loader each process iterates (len(train_loader) after prepare()), divide by "
        "the world size, or pass the scheduler to accelerator.prepare().",
    ),
    Rule(
        "LR018",
        "prepared-scheduler-stepped-per-epoch",
        "accelerate steps a prepared scheduler num_processes times per call, expecting one call per "
        "update: stepped once per epoch, it advances N epochs per epoch under N processes.",
        "Keep the per-epoch scheduler out of accelerator.prepare(), or build the Accelerator with "
        "step_scheduler_with_optimizer=False.",
    ),
)

#: Every rule by its code, in code order.
RULES: dict[str, Rule] = {rule.code: rule for rule in sorted(_CATALOGUE, key=lambda rule: rule.code)}
