"""The rule book (mnist_cnn.permissions) and who a browser is (mnist_cnn.identity): what
students may and may not do, checked in the package whatever a page shows or sends."""

import shutil
import time

import pytest

from mnist_cnn import identity
from mnist_cnn.config import PRESETS, TrainConfig
from mnist_cnn.jobs import Job, LocalJobs, TrainRequest
from mnist_cnn.permissions import (
    Action,
    ClassLimits,
    Classroom,
    NotAllowed,
    Person,
    allowed,
    passphrase_matches,
    read_limits,
    teacher_passphrase,
)
from mnist_cnn.status import Status
from mnist_cnn.storage import ASSETS_DIR, ModelStore

LONG = TrainConfig(train_size=500, validation_size=200, epochs=100, batch_size=50)
TIMEOUT = 120
TEACHER, ALICE, BOB = Person("t" * 32, teacher=True), Person("a" * 32), Person("b" * 32)
# What a student may do while a passphrase is set (STOP_RUN: their own runs only; see below).
STUDENT_MAY = {Action.EXPORT_DRAWINGS}


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


def finished(store, name):
    record = store.new_run(name, LONG, status="finished")
    shutil.copy(ASSETS_DIR / "model.keras", record.model_path)
    return record


class QueueOnly:
    """A job back end that queues and never trains: what Classroom asks of one, without a
    trainer process (the rules are about who has what queued, not about training)."""

    def __init__(self, store):
        self.store, self.waiting = store, []

    def submit(self, request):
        record = self.store.new_run(request.name, request.config)
        job = Job(record.id, record.name, request.config, request.owner, submitted_at=time.time())
        self.waiting.append(job)
        return job

    def get(self, job_id):
        return next((job for job in self.waiting if job.id == job_id), None)

    def running(self):
        return []

    def queued(self):
        return list(self.waiting)

    def stop(self, job_id):
        self.waiting = [job for job in self.waiting if job.id != job_id]
        return True


# --- the rule book ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
def test_without_a_passphrase_everyone_may_do_everything(action):
    for person in (TEACHER, ALICE, BOB):
        assert allowed(action, person, has_teacher=False, owner=ALICE.id)


@pytest.mark.parametrize("action", list(Action))
def test_with_a_passphrase_the_teacher_may_do_everything(action):
    assert allowed(action, TEACHER, has_teacher=True, owner=ALICE.id)


@pytest.mark.parametrize("action", list(Action))
def test_with_a_passphrase_a_student_may_do_only_a_few_things(action):
    if action is Action.STOP_RUN:  # stop and cancel: one rule, their own runs only
        assert allowed(action, ALICE, True, owner=ALICE.id)
        assert not allowed(action, BOB, True, owner=ALICE.id)
        assert not allowed(action, BOB, True, owner=None)
    else:
        assert allowed(action, ALICE, True) == (action in STUDENT_MAY)


def test_the_rule_book_refuses_what_is_no_action():
    with pytest.raises(ValueError, match="permissions.Action"):
        allowed("delete runs", TEACHER, True)


def test_the_passphrase_comes_from_the_environment_or_the_secrets(monkeypatch):
    monkeypatch.delenv("MNIST_CNN_TEACHER_KEY", raising=False)
    assert teacher_passphrase() is None and teacher_passphrase({}) is None
    assert teacher_passphrase({"teacher_key": " owl "}) == "owl"
    assert teacher_passphrase({"teacher_key": "  "}) is None
    monkeypatch.setenv("MNIST_CNN_TEACHER_KEY", "from the environment")
    assert teacher_passphrase({"teacher_key": "owl"}) == "from the environment"


def test_a_passphrase_matches_only_itself():
    assert passphrase_matches("anything", None)  # no passphrase: everyone is in charge
    assert passphrase_matches(" owl feathers ", "owl feathers")
    for attempt in (None, "", "owl", "owl feathers!", 42):
        assert not passphrase_matches(attempt, "owl feathers")


def test_without_a_passphrase_everyone_switches_renames_and_deletes(store):
    record = finished(store, "mine")
    room = Classroom(store, LocalJobs(store), passphrase=None)
    room.set_active_for_everyone(record.id, ALICE)
    assert room.rename(record.id, "renamed", BOB).name == "renamed"
    room.delete(record.id, ALICE)
    assert store.active_id() == "shipped"


def test_with_a_passphrase_only_the_teacher_switches_renames_and_deletes(store):
    record = finished(store, "mine")
    room = Classroom(store, LocalJobs(store), passphrase="owl feathers")
    with pytest.raises(NotAllowed, match="Only the teacher can switch the model for everyone"):
        room.set_active_for_everyone(record.id, ALICE)
    with pytest.raises(NotAllowed, match="rename runs"):
        room.rename(record.id, "taken over", ALICE)
    with pytest.raises(NotAllowed, match="delete runs"):
        room.delete(record.id, ALICE)
    with pytest.raises(NotAllowed, match="change the class's limits"):
        room.set_limits(ClassLimits(1), ALICE)
    assert store.active_id() == "shipped" and store.get(record.id).name == "mine"

    room.set_active_for_everyone(record.id, TEACHER)
    assert room.rename(record.id, "class model", TEACHER).name == "class model"
    room.delete(record.id, TEACHER)
    assert [kept.id for kept in store.list()] == ["shipped"]


# --- Stop and Cancel, the fair queue, the limits --------------------------------------------


@pytest.mark.parametrize("passphrase", [None, "owl feathers"])
def test_cancel_follows_the_rule_of_stop(store, passphrase):
    jobs = QueueOnly(store)
    room = Classroom(store, jobs, passphrase)
    queued = room.start(TrainRequest(LONG, "alice's"), ALICE)
    assert room.may_stop(queued.id, BOB) == (passphrase is None)
    if passphrase:
        with pytest.raises(NotAllowed, match="someone else's run"):
            room.stop(queued.id, BOB)
        assert jobs.get(queued.id) is not None
    assert room.stop(queued.id, BOB if passphrase is None else ALICE)
    assert jobs.get(queued.id) is None
    with pytest.raises(ValueError, match="No such run"):
        room.stop(queued.id, TEACHER)


def test_a_student_has_one_run_at_a_time_and_the_teacher_any_number(store):
    room = Classroom(store, QueueOnly(store), passphrase="owl feathers")
    first = room.start(TrainRequest(LONG, "alice's"), ALICE)
    with pytest.raises(NotAllowed, match="You already have a run: “alice's” is waiting"):
        room.start(TrainRequest(LONG, "alice's second"), ALICE)
    room.start(TrainRequest(LONG, "bob's"), BOB)  # another student: his own one
    for number in range(3):
        room.start(TrainRequest(LONG, f"teacher's {number}"), TEACHER)
    room.stop(first.id, ALICE)
    room.start(TrainRequest(LONG, "alice's second"), ALICE)  # once hers is over, the next


def test_without_a_passphrase_nobody_is_limited(store, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_MAX_RUN_MINUTES", "1")
    room = Classroom(store, QueueOnly(store), passphrase=None)
    for number in range(3):
        room.start(TrainRequest(LONG, f"alice's {number}"), ALICE, estimate_seconds=3600)


def test_the_class_limit_refuses_a_students_long_run_with_its_estimate(store, monkeypatch):
    monkeypatch.delenv("MNIST_CNN_MAX_RUN_MINUTES", raising=False)
    room = Classroom(store, QueueOnly(store), passphrase="owl feathers")
    assert room.limits() == ClassLimits(None)
    monkeypatch.setenv("MNIST_CNN_MAX_RUN_MINUTES", "2")
    assert room.limits() == ClassLimits(2)
    with pytest.raises(NotAllowed, match=r"about 5\.0 minutes; the class's limit is 2 minutes"):
        room.start(TrainRequest(LONG, "long"), ALICE, estimate_seconds=300)
    room.start(TrainRequest(LONG, "long"), TEACHER, estimate_seconds=300)  # the teacher: no limit

    room.set_limits(ClassLimits(10), TEACHER)  # the sidebar's: shared through the models folder
    assert read_limits(store.root) == ClassLimits(10)
    room.start(TrainRequest(LONG, "long"), ALICE, estimate_seconds=300)
    room.set_limits(ClassLimits(None), TEACHER)
    assert room.limits() == ClassLimits(None)  # "no limit" wins over the environment
    for bad in (0, -1, "5", float("nan")):
        with pytest.raises(ValueError, match="positive number of minutes"):
            room.set_limits(ClassLimits(bad), TEACHER)


def test_a_damaged_limits_file_falls_back_to_the_environment(store, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_MAX_RUN_MINUTES", "not a number")
    store.root.mkdir(parents=True)
    (store.root / "class-limits.json").write_text("{")
    assert read_limits(store.root) == ClassLimits(None)
    monkeypatch.setenv("MNIST_CNN_MAX_RUN_MINUTES", "3.5")
    assert read_limits(store.root) == ClassLimits(3.5)


def test_the_estimate_grows_with_the_work_and_learns_the_machine(store):
    from mnist_cnn.estimate import SECONDS_PER_UNIT, estimate_seconds, work

    quick, accurate = PRESETS["quick"], PRESETS["accurate"]
    assert estimate_seconds(quick) == pytest.approx(work(quick) * SECONDS_PER_UNIT)
    assert estimate_seconds(accurate) > 20 * estimate_seconds(quick)
    assert estimate_seconds(quick, extra_images=55_000) == pytest.approx(
        2 * estimate_seconds(quick)
    )
    record = store.new_run("measured", quick, status="finished")
    record.train_seconds = 2 * estimate_seconds(quick)  # this machine is twice as slow
    store.update(record)
    assert estimate_seconds(quick, store.list()) == pytest.approx(record.train_seconds, rel=0.5)


@pytest.mark.slow
def test_students_stop_and_cancel_only_their_own_runs(mnist, store):
    jobs = LocalJobs(store, data_dir=mnist.source)
    room = Classroom(store, jobs, passphrase="owl feathers")
    running = room.start(TrainRequest(LONG, "alice's"), ALICE)
    queued = room.start(TrainRequest(LONG, "bob's"), BOB)
    deadline = time.monotonic() + TIMEOUT
    while jobs.get(running.id).progress is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    with pytest.raises(NotAllowed, match="You already have a run: “alice's” is training"):
        room.start(TrainRequest(LONG, "alice's next"), ALICE)
    assert not room.may_stop(running.id, BOB)
    with pytest.raises(NotAllowed, match="someone else's run"):
        room.stop(running.id, BOB)
    with pytest.raises(NotAllowed, match="someone else's run"):
        room.stop(queued.id, ALICE)
    assert jobs.get(running.id).status == "running" and jobs.get(queued.id).status == "queued"

    assert room.stop(queued.id, BOB)  # his own: cancelled
    assert room.stop(running.id, TEACHER)  # the teacher stops anyone's
    assert jobs.wait(running.id, TIMEOUT).status == Status.STOPPED
    assert jobs.get(queued.id).status == Status.CANCELLED


# --- who a browser is ------------------------------------------------------------------------

SECRET = b"a secret the app servers of one class share"


def test_a_token_proves_the_browser_and_the_teacher_until_the_passphrase_changes():
    student = identity.new_identity()
    token = identity.make_token(student, SECRET, "owl feathers")
    assert identity.read_token(token, SECRET, "owl feathers") == student
    teacher = identity.Identity(student.browser, teacher=True)
    token = identity.make_token(teacher, SECRET, "owl feathers")
    assert identity.read_token(token, SECRET, "owl feathers") == teacher
    # a new passphrase: still the same browser (its runs stay its own), no longer the teacher
    assert identity.read_token(token, SECRET, "new passphrase") == student
    assert identity.read_token(token, SECRET, None) == student
    assert identity.new_identity().browser != student.browser


def test_a_token_edited_in_the_browser_or_signed_elsewhere_proves_nothing():
    student = identity.new_identity()
    token = identity.make_token(student, SECRET, "owl feathers")
    teacher_token = identity.make_token(
        identity.Identity(student.browser, True), SECRET, "owl feathers"
    )
    other = "0" * 32
    forged = [
        None,
        "",
        42,
        token + ".",
        token + "." + teacher_token.split(".")[1],  # the browser's signature as a teacher's
        other + token[32:],  # another browser's id under this one's signature
        token[:-1] + ("0" if token[-1] != "0" else "1"),
        identity.make_token(student, b"another class's secret", "owl feathers"),
        "x" * 500,
    ]
    for value in forged:
        found = identity.read_token(value, SECRET, "owl feathers")
        assert found is None or (found == student and value != teacher_token), value
    with pytest.raises(ValueError, match="32 hex digits"):
        identity.make_token(identity.Identity("not hex"), SECRET, None)
    with pytest.raises(ValueError, match="needs the teacher passphrase"):
        identity.make_token(identity.Identity(other, True), SECRET, None)


def test_the_secret_comes_from_the_environment_the_secrets_or_the_shared_folder(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("MNIST_CNN_SESSION_SECRET", raising=False)
    made = identity.session_secret(tmp_path / "models")
    assert len(made) >= 32 and (tmp_path / "models" / ".session-secret").stat().st_mode & 0o077 == 0
    assert identity.session_secret(tmp_path / "models") == made  # a second server: the same
    assert identity.session_secret(tmp_path / "other") != made
    assert identity.session_secret(tmp_path, {"session_secret": "from secrets"}) == b"from secrets"
    monkeypatch.setenv("MNIST_CNN_SESSION_SECRET", "from the environment")
    assert identity.session_secret(tmp_path, {"session_secret": "x"}) == b"from the environment"
