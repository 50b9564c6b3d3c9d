"""The teacher's hand on what students post: hidden drawings, a queue of drawings that
wait for approval, removed students, a frozen wall, and the class's settings.

All of it is in the class database, so a teacher on one app server moderates drawings
posted through another: every wall reads what it shows from the database at each
refresh. Nothing is deleted: a hidden drawing keeps its row (the teacher can undo), but
it leaves every wall and the class's data (``ClassCollection.samples`` leaves out the
samples of hidden or waiting drawings and of removed students). A drawing's hidden
states and ``admit`` (which refuses a removed student's posts) are in
``hwr.class_data.wall``, shared with the collection and its rounds.

Who may call these is the pages' business (``hwr.pages.shared.lesson`` checks ``is_teacher()``
in every action); this module only keeps the rules.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Engine, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hwr.class_data import storage
from hwr.class_data.storage import class_students, classes, drawings, samples
from hwr.class_data.storage import settings as class_values
from hwr.class_data.wall import (
    CLEARED,
    HIDDEN,
    REMOVED,
    SHOWN,
    NicknameTaken,
    StudentRemoved,
    WallDrawing,
    wall_drawing,
)


@dataclass(frozen=True)
class ClassSettings:
    frozen_at: float | None = None  # the wall shows nothing newer while frozen
    approve_first: bool = False  # new drawings wait for the teacher
    generated_names: bool = False  # students take a generated nickname only

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


@dataclass(frozen=True)
class ClassStudent:
    student: str  # the browser session's random id (never shown)
    nickname: str
    removed: bool


def withheld_sample():
    """SQL: the sample is not the class's data (its drawing hidden or waiting, or its
    student removed)."""
    s, d, cs = samples.c, drawings.c, class_students.c
    return or_(
        exists().where(and_(d.class_id == s.class_id, d.student == s.student,
                            d.drawing == s.drawing,
                            or_(d.hidden != SHOWN, d.approved == 0))),
        exists().where(and_(cs.class_id == s.class_id, cs.student == s.student,
                            cs.removed == 1)))


def visible_on_wall(class_id: int, frozen_at: float | None):
    """SQL: the class's drawings the wall shows."""
    d = drawings.c
    shown = (d.class_id == int(class_id)) & (d.hidden == SHOWN) & (d.approved == 1)
    return shown if frozen_at is None else shown & (d.updated <= frozen_at)


class Moderation:
    """The teacher's moderation of the classes in one database (``engine``): a part of
    ``ClassCollection``, which creates it as ``collection.moderation``."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _connection(self, write: bool = False):
        return storage.connection(self.engine, write)

    def settings(self, class_id: int) -> ClassSettings:
        c = classes.c
        with self._connection() as conn:
            row = conn.execute(select(c.frozen_at, c.approve_first, c.generated_names)
                               .where(c.id == int(class_id))).first()
        return ClassSettings(row[0], bool(row[1]), bool(row[2])) if row else ClassSettings()

    def _set_class(self, class_id: int, **values) -> None:
        with self._connection(write=True) as conn:
            conn.execute(update(classes).where(classes.c.id == int(class_id)).values(**values))

    def set_frozen(self, class_id: int, frozen: bool) -> None:
        """Freeze the wall (nothing new appears on it) or let it go on."""
        c = classes.c
        with self._connection(write=True) as conn:
            if frozen:  # freezing twice keeps the first moment
                conn.execute(update(classes).where((c.id == int(class_id)) &
                                                   c.frozen_at.is_(None))
                             .values(frozen_at=time.time()))
            else:
                conn.execute(update(classes).where(c.id == int(class_id))
                             .values(frozen_at=None))

    def set_approve_first(self, class_id: int, on: bool) -> None:
        """New drawings wait in the teacher's queue (those already waiting stay there)."""
        self._set_class(class_id, approve_first=int(bool(on)))

    def set_generated_names(self, class_id: int, on: bool) -> None:
        self._set_class(class_id, generated_names=int(bool(on)))

    # --- the projector view -------------------------------------------------------

    def _class_value(self, name: str) -> str | None:
        s = class_values.c
        with self._connection() as conn:
            return conn.execute(select(s.value).where(s.key == name)).scalar()

    def _set_class_value(self, name: str, value: str, replace: bool = True) -> None:
        """Write one of a class's values (``replace=False``: only if it has none yet;
        two servers writing at once keep the first)."""
        s = class_values.c
        try:
            with self._connection(write=True) as conn:
                if replace and conn.execute(update(class_values).where(s.key == name)
                                            .values(value=value)).rowcount:
                    return
                if conn.execute(select(s.value).where(s.key == name)).scalar() is None:
                    conn.execute(insert(class_values).values(key=name, value=value))
        except IntegrityError:  # another server wrote it first: the first one stays
            if replace:
                self._set_class_value(name, value)

    def projector_key(self, class_id: int, create: bool = False) -> str:
        """The key in the class's projector link (a random word made once per class, the
        same on every app server; "" when none is made yet and ``create`` is False). The
        link shows the wall without any control, so the key guards only what the class
        sees on the projector anyway; a new class has a new key."""
        name = f"projector:{int(class_id)}"
        if create and not self._class_value(name):
            self._set_class_value(name, secrets.token_urlsafe(18), replace=False)
        return self._class_value(name) or ""

    def results_closed(self, class_id: int) -> int | None:
        """The round whose results the teacher closed (every wall stops showing them)."""
        value = self._class_value(f"results_closed:{int(class_id)}")
        return int(value) if value and value.isdigit() else None

    def close_results(self, class_id: int, round_id: int) -> None:
        self._set_class_value(f"results_closed:{int(class_id)}", str(int(round_id)))

    # --- drawings -----------------------------------------------------------------

    def _set_drawing(self, class_id: int, drawing_id: int, where, **values) -> bool:
        d = drawings.c
        with self._connection(write=True) as conn:
            return bool(conn.execute(update(drawings).where(
                (d.class_id == int(class_id)) & (d.id == int(drawing_id)) & where)
                .values(**values)).rowcount)

    def hide_drawing(self, class_id: int, drawing_id: int) -> bool:
        """Take one drawing (the wall's row id) off every wall and out of the class's
        data; False if it was not shown."""
        return self._set_drawing(class_id, drawing_id, drawings.c.hidden != HIDDEN,
                                 hidden=HIDDEN)

    def unhide_drawing(self, class_id: int, drawing_id: int) -> bool:
        """Undo a hide (or a clear): the drawing is back, unless its student is removed."""
        return self._set_drawing(class_id, drawing_id,
                                 drawings.c.hidden.in_((HIDDEN, CLEARED)), hidden=SHOWN)

    def approve_drawing(self, class_id: int, drawing_id: int) -> bool:
        return self._set_drawing(class_id, drawing_id, drawings.c.approved == 0, approved=1)

    def clear_wall(self, class_id: int) -> int:
        """Hide everything on the wall so far (and what waits); returns how many."""
        d = drawings.c
        with self._connection(write=True) as conn:
            return conn.execute(update(drawings).where(
                (d.class_id == int(class_id)) & (d.hidden == SHOWN))
                .values(hidden=CLEARED)).rowcount

    def undo_clear(self, class_id: int) -> int:
        d = drawings.c
        with self._connection(write=True) as conn:
            return conn.execute(update(drawings).where(
                (d.class_id == int(class_id)) & (d.hidden == CLEARED))
                .values(hidden=SHOWN)).rowcount

    def _drawings(self, class_id: int, where, limit: int, order=None) -> list[WallDrawing]:
        d = drawings.c
        with self._connection() as conn:
            rows = conn.execute(
                select(d.student, d.drawing, d.nickname, d.created, d.predicted,
                       d.not_a_digit, d.confidence, d.label, d.model_input, d.id)
                .where((d.class_id == int(class_id)) & where)
                .order_by(*(order or (d.updated.desc(), d.id.desc()))).limit(int(limit))).all()
        return [wall_drawing(r) for r in rows]

    def waiting(self, class_id: int, limit: int = 48) -> list:
        """The drawings that wait for the teacher's approval, the oldest first."""
        d = drawings.c
        return self._drawings(class_id, (d.approved == 0) & (d.hidden == SHOWN), limit,
                              (d.updated.asc(), d.id.asc()))

    def hidden(self, class_id: int, limit: int = 24) -> list:
        """The drawings the teacher hid one by one, the latest first (to undo)."""
        return self._drawings(class_id, drawings.c.hidden == HIDDEN, limit)

    # --- students -----------------------------------------------------------------

    def student_of(self, class_id: int, drawing_id: int) -> str | None:
        d = drawings.c
        with self._connection() as conn:
            return conn.execute(select(d.student).where(
                (d.class_id == int(class_id)) & (d.id == int(drawing_id)))).scalar()

    def nickname_of(self, class_id: int, drawing_id: int) -> str | None:
        """The nickname on a drawing (the wall's row id); None for no such drawing."""
        d = drawings.c
        with self._connection() as conn:
            return conn.execute(select(d.nickname).where(
                (d.class_id == int(class_id)) & (d.id == int(drawing_id)))).scalar()

    def remove_student(self, class_id: int, student: str) -> int:
        """Hide all the student's drawings and refuse whatever they post to this class
        from now on; returns how many drawings left the wall."""
        cs, d = class_students.c, drawings.c
        with self._connection(write=True) as conn:
            nickname = conn.execute(select(d.nickname).where(
                (d.class_id == int(class_id)) & (d.student == student))
                .order_by(d.updated.desc()).limit(1)).scalar()
            if not conn.execute(update(class_students).where(
                    (cs.class_id == int(class_id)) & (cs.student == student))
                    .values(removed=1)).rowcount:
                conn.execute(insert(class_students).values(
                    class_id=int(class_id), student=student, nickname=nickname or "",
                    removed=1, joined=time.time()))
            return conn.execute(update(drawings).where(
                (d.class_id == int(class_id)) & (d.student == student) &
                (d.hidden != REMOVED)).values(hidden=REMOVED)).rowcount

    def readmit_student(self, class_id: int, student: str) -> None:
        """Undo a removal: the student posts again and their drawings are back."""
        cs, d = class_students.c, drawings.c
        with self._connection(write=True) as conn:
            conn.execute(update(class_students).where(
                (cs.class_id == int(class_id)) & (cs.student == student)).values(removed=0))
            conn.execute(update(drawings).where(
                (d.class_id == int(class_id)) & (d.student == student) &
                (d.hidden == REMOVED)).values(hidden=SHOWN))

    def students(self, class_id: int) -> list[ClassStudent]:
        cs = class_students.c
        with self._connection() as conn:
            rows = conn.execute(select(cs.student, cs.nickname, cs.removed)
                                .where(cs.class_id == int(class_id)).order_by(cs.id)).all()
        return [ClassStudent(r[0], r[1], bool(r[2])) for r in rows]

    def removed_count(self, class_id: int) -> int:
        """How many students the teacher removed from the class: the answer channel tells
        the class's pages when it changes, so a removed student hears of it at once."""
        cs = class_students.c
        with self._connection() as conn:
            return conn.execute(select(func.count()).select_from(class_students).where(
                (cs.class_id == int(class_id)) & (cs.removed == 1))).scalar_one()

    def check_student(self, class_id: int, student: str, nickname: str = "") -> None:
        """Raises StudentRemoved or NicknameTaken as a post would (writes nothing)."""
        cs = class_students.c
        with self._connection() as conn:
            removed = conn.execute(select(cs.removed).where(
                (cs.class_id == int(class_id)) & (cs.student == student))).scalar()
            if removed:
                raise StudentRemoved("The teacher has removed you from this class.")
            if nickname and conn.execute(select(func.count()).select_from(class_students)
                                         .where((cs.class_id == int(class_id)) &
                                                (cs.removed == 1) &
                                                (cs.student != student) &
                                                (func.lower(cs.nickname) ==
                                                 nickname.lower()))).scalar_one():
                raise NicknameTaken(f"The nickname {nickname!r} is not available in this "
                                    "class.")
