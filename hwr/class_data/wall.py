"""A drawing on the class wall as the database keeps it, and the one way it is written.

The collection (``hwr.class_data.collection``), its moderation
(``hwr.class_data.moderation``) and its rounds (``hwr.class_data.rounds``) all read and
write the wall's drawings: what they share lives here, below all three, so each imports
this module and none of them imports another to get it. This module imports none of
them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hwr.class_data.storage import class_students, classes, drawings
from hwr.sizes import IMAGE_SIZE

SHOWN, HIDDEN, CLEARED, REMOVED = 0, 1, 2, 3  # drawings.hidden


class StudentRemoved(RuntimeError):
    """The teacher removed this student from the class: nothing they send is taken."""


class NicknameTaken(RuntimeError):
    """The nickname belongs to a student the teacher removed from this class."""


class ClassFullError(RuntimeError):
    """The class holds its maximum number of drawings."""


@dataclass(frozen=True)
class WallDrawing:
    """One student's drawing on the class wall, as it stands now."""

    student: str
    drawing: int  # the number of the drawing on that student's canvas
    nickname: str
    created: float
    predicted: int
    not_a_digit: bool
    confidence: float
    label: int | None
    image: np.ndarray  # (28, 28) uint8
    id: int = 0  # its row: what the teacher's Hide and Approve name


def wall_drawing(r) -> WallDrawing:
    """A WallDrawing from a row of (student, drawing, nickname, created, predicted,
    not_a_digit, confidence, label, model_input, id)."""
    return WallDrawing(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7],
                       np.frombuffer(r[8], np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE), r[9])


def to_uint8(images: np.ndarray) -> np.ndarray:
    return np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)


def admit(conn, class_id: int, student: str, nickname: str | None) -> None:
    """Inside a write: refuse a removed student (by session, or by a removed student's
    nickname) and note who posts (their session id and nickname, nothing else; a
    nickname of None leaves the one noted before)."""
    cs = class_students.c
    mine = (cs.class_id == int(class_id)) & (cs.student == student)
    row = conn.execute(select(cs.removed, cs.nickname).where(mine)).first()
    if row is not None and row[0]:
        raise StudentRemoved("The teacher has removed you from this class.")
    if nickname and conn.execute(select(func.count()).select_from(class_students).where(
            (cs.class_id == int(class_id)) & (cs.removed == 1) & (cs.student != student) &
            (func.lower(cs.nickname) == nickname.lower()))).scalar_one():
        raise NicknameTaken(f"The nickname {nickname!r} is not available in this class.")
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(class_students).values(
                    class_id=int(class_id), student=student, nickname=nickname or "",
                    joined=time.time()))
        except IntegrityError:  # the same session posting twice at once
            pass
    elif nickname is not None and row[1] != nickname:
        conn.execute(update(class_students).where(mine).values(nickname=nickname))


def write_drawing(conn, class_id: int, student: str, drawing: int, nickname: str,
                  predicted: int, not_a_digit: bool, confidence: float,
                  image: np.ndarray, limit: int) -> None:
    """Inside a write: put the drawing on the wall or update it; ClassFullError when the
    class already holds ``limit`` drawings. With "approve first" on, the drawing (new, or
    changed after its approval) waits in the teacher's queue."""
    d = drawings.c
    this = (d.class_id == int(class_id)) & (d.student == student) & \
        (d.drawing == int(drawing))
    approve_first = conn.execute(select(classes.c.approve_first).where(
        classes.c.id == int(class_id))).scalar()
    values = dict(nickname=nickname, predicted=int(predicted),
                  not_a_digit=int(not_a_digit), confidence=float(confidence),
                  model_input=image.tobytes())
    if approve_first:
        values["approved"] = 0
    for _ in range(2):  # a concurrent insert of the same drawing: update it then
        now = time.time()
        if conn.execute(update(drawings).where(this)
                        .values(updated=now, **values)).rowcount:
            return
        count = conn.execute(select(func.count()).select_from(drawings)
                             .where(d.class_id == int(class_id))).scalar_one()
        if count >= limit:
            raise ClassFullError(f"The class holds {count} drawings, its limit.")
        try:
            with conn.begin_nested():
                conn.execute(insert(drawings).values(
                    class_id=int(class_id), student=student, drawing=int(drawing),
                    created=now, updated=now, **values))
            return
        except IntegrityError:
            continue
