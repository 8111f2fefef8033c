"""The torch side: `Scheduler` drives an optimizer's learning rates and hyperparameters from schedules.

Modules, one job each: `_binding` (which schedule each group follows, how a hyperparameter is read
and written), `_track` (per-hyperparameter evaluation and fast writes), `_timeline` (units, the end
of the run, extend and anneal), `_detect` (skipped updates: optimizer step hooks, GradScaler),
`_state` (the state's format, fingerprints, the policies), `_resume` (saving and loading),
`_scheduler` (the class).
"""

from lrkit.scheduler._binding import to_float
from lrkit.scheduler._detect import UncountedStepWarning
from lrkit.scheduler._scheduler import Record, ScheduleEndError, ScheduleEndWarning, Scheduler
from lrkit.scheduler._state import ResumeError
from lrkit.scheduler._track import NonFiniteValueError

__all__ = [
    "NonFiniteValueError",
    "Record",
    "ResumeError",
    "ScheduleEndError",
    "ScheduleEndWarning",
    "Scheduler",
    "UncountedStepWarning",
    "to_float",
]
