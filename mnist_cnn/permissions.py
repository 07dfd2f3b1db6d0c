"""Who may do what on a server a whole class shares: the one rule book.

With no teacher passphrase set, everyone may do everything (one person at home, or a class that
trusts itself), and Start has no limits. With one set (`MNIST_CNN_TEACHER_KEY`, or `teacher_key`
in Streamlit's secrets), the teacher (whoever proved the passphrase, in this browser) may do
everything; a student may start runs (one at a time, no longer than the class limit), stop or
cancel their own runs, choose any model for their own browser, save and download the class's
drawings, and nothing else in `Action`.

`allowed()` is the rule; `Classroom` does the actions and checks the rule each time on the
server, so a page changed in the browser (a disabled button clicked anyway) is still refused.
"""

from __future__ import annotations

import dataclasses
import enum
import hmac
import json
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mnist_cnn import settings
from mnist_cnn.request import TrainRequest
from mnist_cnn.storage import ModelStore, write_json_atomic

TEACHER_KEY_SECRET = "teacher_key"  # its name in .streamlit/secrets.toml
STUDENT_ACTIVE_RUNS = 1  # runs a student may have queued or training at once
LIMITS_FILE = "class-limits.json"  # in the models folder: the limits the teacher set


class Action(enum.Enum):
    """What the rule book decides; each value says it in words ("Only the teacher can …")."""

    SWITCH_FOR_EVERYONE = "switch the model for everyone"
    RENAME_RUN = "rename runs"
    DELETE_RUN = "delete runs"
    STOP_RUN = "stop or cancel someone else's run"  # Stop (training) and Cancel (queued): one rule
    DELETE_DRAWING = "delete the class's drawings"
    EXPORT_DRAWINGS = "download the class's drawings"
    SET_LIMITS = "change the class's limits"
    NO_LIMITS = "start runs beyond the class's limits"


# What a student may do while a teacher passphrase is set (STOP_RUN: only their own runs).
STUDENTS_MAY = {Action.EXPORT_DRAWINGS}


@dataclass(frozen=True)
class Person:
    """Who asks: a browser (its id owns its runs) and whether it proved to be the teacher's."""

    id: str
    teacher: bool = False


class NotAllowed(PermissionError):
    """The rule book says no (see `allowed`)."""


def allowed(action: Action, person: Person, has_teacher: bool, owner: str | None = None) -> bool:
    """The rule book. owner: for STOP_RUN, whoever started the run."""
    if not isinstance(action, Action):
        raise ValueError(f"action must be a permissions.Action. Received: {action=!r}")
    if not has_teacher or person.teacher:
        return True
    if action is Action.STOP_RUN:
        return owner is not None and owner == person.id
    return action in STUDENTS_MAY


def teacher_passphrase(secrets: Mapping | None = None) -> str | None:
    """The passphrase from the environment, else from `secrets`; None when neither sets one."""
    passphrase = settings.teacher_key() or (secrets or {}).get(TEACHER_KEY_SECRET)
    if passphrase is None or not str(passphrase).strip():
        return None
    return str(passphrase).strip()


def passphrase_matches(attempt, passphrase: str | None) -> bool:
    """True if `attempt` is the passphrase (compared in constant time), or if there is none."""
    if passphrase is None:
        return True
    if not isinstance(attempt, str):
        return False
    return hmac.compare_digest(attempt.strip().encode(), passphrase.encode())


def max_run_minutes_from_environment() -> float | None:
    """MNIST_CNN_MAX_RUN_MINUTES as a number of minutes; None when unset or not a positive number."""
    text = settings.max_run_minutes() or ""
    try:
        minutes = float(text)
    except ValueError:
        return None
    return minutes if math.isfinite(minutes) and minutes > 0 else None


@dataclass(frozen=True)
class ClassLimits:
    max_run_minutes: float | None = None  # a student's run may train this long at most


def read_limits(models_dir: str | os.PathLike) -> ClassLimits:
    """The limits the teacher set (in the models folder, so every app server shares them), else
    MNIST_CNN_MAX_RUN_MINUTES, else none."""
    try:
        saved = json.loads((Path(models_dir) / LIMITS_FILE).read_text())
        minutes = saved["max_run_minutes"]
        if minutes is None or (isinstance(minutes, (int, float)) and minutes > 0):
            return ClassLimits(minutes)
    except (OSError, ValueError, KeyError, TypeError):  # none saved yet, or a damaged file
        pass
    return ClassLimits(max_run_minutes_from_environment())


_start_lock = threading.Lock()  # one Start at a time in this server: no two runs slip past


class Classroom:
    """The class's actions, each checked against the rule book before it is done."""

    def __init__(self, store: ModelStore, jobs, passphrase: str | None):
        # jobs: a mnist_cnn.jobs.JobBackend (LocalJobs or ClusterJobs)
        self.store, self.jobs, self.passphrase = store, jobs, passphrase

    @property
    def has_teacher(self) -> bool:
        return self.passphrase is not None

    def may(self, action: Action, person: Person, owner: str | None = None) -> bool:
        return allowed(action, person, self.has_teacher, owner)

    def check(self, action: Action, person: Person, owner: str | None = None) -> None:
        if not self.may(action, person, owner):
            raise NotAllowed(
                f"Only the teacher can {action.value}: enter the teacher passphrase first."
            )

    # --- models and runs ---
    def set_active_for_everyone(self, model_id: str, person: Person) -> None:
        self.check(Action.SWITCH_FOR_EVERYONE, person)
        self.store.set_active(model_id)

    def rename(self, model_id: str, name: str, person: Person):
        self.check(Action.RENAME_RUN, person)
        return self.store.rename(model_id, name)

    def delete(self, model_id: str, person: Person) -> None:
        self.check(Action.DELETE_RUN, person)
        self.store.delete(model_id)

    def may_stop(self, job_id: str, person: Person) -> bool:
        """Stop (a run training) and Cancel (a run waiting) follow this one rule."""
        job = self.jobs.get(job_id)
        return job is not None and self.may(Action.STOP_RUN, person, job.owner)

    def stop(self, job_id: str, person: Person) -> bool:
        """Stop a running job or cancel a queued one (see JobBackend.stop)."""
        job = self.jobs.get(job_id)
        if job is None:
            raise ValueError(f"No such run. Received: {job_id=!r}")
        self.check(Action.STOP_RUN, person, job.owner)
        return self.jobs.stop(job_id)

    # --- the class's limits, Start and the fair queue ---
    def limits(self) -> ClassLimits:
        return read_limits(self.store.root)

    def set_limits(self, limits: ClassLimits, person: Person) -> None:
        self.check(Action.SET_LIMITS, person)
        minutes = limits.max_run_minutes
        if minutes is not None and not (isinstance(minutes, (int, float)) and 0 < minutes < 1e6):
            raise ValueError(
                f"The limit must be a positive number of minutes. Received: {minutes=!r}"
            )
        write_json_atomic({"max_run_minutes": minutes}, Path(self.store.root) / LIMITS_FILE)

    def start_refusal(
        self, person: Person, estimate_seconds: float | None, max_minutes: float | None
    ) -> str | None:
        """Why this person may not start a run now (None: they may). Students have at most
        STUDENT_ACTIVE_RUNS runs queued or training, and no run longer than `max_minutes`."""
        if self.may(Action.NO_LIMITS, person):
            return None
        mine = [job for job in self.jobs.running() + self.jobs.queued() if job.owner == person.id]
        if len(mine) >= STUDENT_ACTIVE_RUNS:
            job = mine[0]
            where = "is training" if job in self.jobs.running() else "is waiting in the queue"
            return (
                f"You already have a run: “{job.name}” {where}. One run at a time per student: "
                "wait for it to end, or stop it, then start the next."
            )
        too_long = max_minutes is not None and estimate_seconds is not None
        if too_long and estimate_seconds > 60 * max_minutes:
            return (
                f"This run would take about {estimate_seconds / 60:.1f} minutes; the class's "
                f"limit is {max_minutes:g} minutes a run. Choose fewer rounds (epochs) or "
                "fewer training images, or a smaller network."
            )
        return None

    def start(self, request: TrainRequest, person: Person, estimate_seconds: float | None = None):
        """Submit the run for `person` (its owner) if the rules and the class's limits let them
        (else NotAllowed, saying why). estimate_seconds: how long it would train
        (mnist_cnn.estimate)."""
        with _start_lock:
            max_minutes = self.limits().max_run_minutes
            refusal = self.start_refusal(person, estimate_seconds, max_minutes)
            if refusal:
                raise NotAllowed(refusal)
            return self.jobs.submit(dataclasses.replace(request, owner=person.id))
