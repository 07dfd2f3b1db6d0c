"""Who may do what on a server a whole class shares: the teacher's passphrase.

With no passphrase set, everyone may do everything (one person at home, or a class that trusts
itself). With one set (`MNIST_CNN_TEACHER_KEY`, or `teacher_key` in Streamlit's secrets), these
need it: switching the model for everyone, renaming and deleting runs, and stopping or cancelling
someone else's run. Anyone may start runs, see the queue, stop their own runs and choose any
model for themselves.

The pages ask `Classroom` to do these actions, and it checks the passphrase each time: a page
changed in the browser (a disabled button clicked anyway) is still refused here.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from mnist_cnn import settings
from mnist_cnn.storage import ModelStore

TEACHER_KEY_SECRET = "teacher_key"  # its name in .streamlit/secrets.toml


class NotAllowed(PermissionError):
    """Only the teacher may do this while a teacher passphrase is set."""


def teacher_passphrase(secrets: Mapping | None = None) -> str | None:
    """The passphrase from the environment, else from `secrets`; None when neither sets one."""
    passphrase = settings.teacher_key() or (secrets or {}).get(TEACHER_KEY_SECRET)
    if passphrase is None or not str(passphrase).strip():
        return None
    return str(passphrase).strip()


class Classroom:
    """The actions a teacher may keep to themselves, each checked against the passphrase."""

    def __init__(self, store: ModelStore, jobs, passphrase: str | None):
        # jobs: a mnist_cnn.jobs.JobBackend (LocalJobs or ClusterJobs)
        self.store, self.jobs, self.passphrase = store, jobs, passphrase

    @property
    def has_teacher(self) -> bool:
        return self.passphrase is not None

    def is_teacher(self, attempt: str | None) -> bool:
        """True if `attempt` is the passphrase, or if there is none (everyone is in charge)."""
        if self.passphrase is None:
            return True
        if not isinstance(attempt, str):
            return False
        return hmac.compare_digest(attempt.strip().encode(), self.passphrase.encode())

    def check_teacher(self, attempt: str | None, action: str) -> None:
        if not self.is_teacher(attempt):
            raise NotAllowed(f"Only the teacher can {action}: enter the teacher passphrase first.")

    def set_active_for_everyone(self, model_id: str, attempt: str | None) -> None:
        self.check_teacher(attempt, "switch the model for everyone")
        self.store.set_active(model_id)

    def rename(self, model_id: str, name: str, attempt: str | None):
        self.check_teacher(attempt, "rename runs")
        return self.store.rename(model_id, name)

    def delete(self, model_id: str, attempt: str | None) -> None:
        self.check_teacher(attempt, "delete runs")
        self.store.delete(model_id)

    def may_stop(self, job_id: str, who: str, attempt: str | None) -> bool:
        """Anyone may stop or cancel their own runs; the teacher may stop anyone's."""
        job = self.jobs.get(job_id)
        return job is not None and (job.owner == who or self.is_teacher(attempt))

    def stop(self, job_id: str, who: str, attempt: str | None) -> bool:
        """Stop a running job or cancel a queued one (see JobBackend.stop)."""
        if not self.may_stop(job_id, who, attempt):
            raise NotAllowed(
                "Only the teacher can stop someone else's run: enter the teacher passphrase first."
            )
        return self.jobs.stop(job_id)
