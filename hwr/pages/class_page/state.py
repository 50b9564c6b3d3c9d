"""The Class page's session state: every key it keeps in ``st.session_state`` (its own
and its widgets'), named once here with what it holds, so that the page's modules share
one name for each. The values are the keys the tests and the stylesheet know."""

# The class's digits (page.py)
CLASS_CHOICE = "class_choice"  # whose digits the teacher looks at (a widget's key)
NORMALIZE = "class_normalize"  # the confusion matrix per true digit (a widget's key)
CONFUSION = "class_cm"  # the class's confusion matrix chart (its key)
CONFIRM_DELETE = "confirm_delete"  # "Yes, delete ..." ticked (a widget's key)
DELETE_ALL = "delete_all"  # the Delete them button

# Teaching the model (model_teaching.py)
RESTORE_ORIGINAL = "restore_original"  # the Back to the original model button
EARLIER_MODEL = "earlier_model"  # the earlier class model picked (a widget's key)
USE_EARLIER = "use_earlier"  # its Use this model button
TEACH = "teach_model"  # the Teach the model our handwriting button
CANCEL_TEACH = "cancel_teach"  # the running fine-tune's Cancel button
DISMISS_TEACH = "dismiss_teach"  # OK under a fine-tune that ended without a model
DISMISS_FAILED = "dismiss_failed_teach"  # OK under a run another server lost
RISKY_OK = "risky_ok"  # "Use it anyway" ticked for a model that forgot MNIST (a widget)
USE_MODEL = "use_model"  # the new model's Use this model for everyone button
KEEP_MODEL = "keep_model"  # its Keep the old one button

# The label check (curation.py, curation_actions.py, curation_cells.py)
TEACHER_SESSION = "hwr_teacher_session"  # this browser session's random teacher id
NOTE = "hwr_curation_note"  # what the last action did, shown once
UNDO = "cur_undo"  # the Undo button of this session's last change
CELL_TRUE, CELL_ANSWER = "cur_true", "cur_answer"  # the confusion cell picked (widgets)
CELL_AREA = "hwr-cur-cell"  # the chosen cell's digits and drawings (a container's key)
CELL_CLICKED = "hwr_cur_clicked"  # a chart click this run: bring the cell into view
CELL_CHART = "cur_chart"  # the label check's confusion chart (its clicks: on_select)
CELL = "cur_cell"  # key prefix of the chosen cell's buttons and drawings
STUDENT = "cur_student"  # the whole student picked (a widget's key)
STUDENT_EXCLUDE, STUDENT_INCLUDE = "cur_student_exclude", "cur_student_include"  # theirs
HELD_OUT = "cur_ba"  # key prefix of a new model's held-out cells (before/after)
HELD_OUT_WHICH = "cur_ba_which"  # whose answers the held-out cells show (a widget)
HELD_OUT_TRUE, HELD_OUT_ANSWER = "cur_ba_true", "cur_ba_answer"  # their cell (widgets)


def suspicious(n: int) -> str:
    """Key prefix of the ``n``-th student's block in the suspicious list."""
    return f"cur_sus{n}"


def suspicious_out(n: int) -> str:
    """The ``n``-th suspicious block's Leave these out button."""
    return f"cur_sus_out_{n}"


def suspicious_fix(n: int) -> str:
    """The ``n``-th suspicious block's File each as the model reads it button."""
    return f"cur_sus_fix_{n}"


def cell_as(prefix: str) -> str:
    """A cell's File them all under picker (under the key prefix ``prefix``)."""
    return f"{prefix}_as"


def cell_button(prefix: str, action: str) -> str:
    """A cell's bulk button: ``action`` "relabel", "include" or "exclude"."""
    return f"{prefix}_{action}"


def drawing_label(prefix: str, sample_id: int, label: int) -> str:
    """A drawing's label picker: a new widget once the drawing is relabelled."""
    return f"{prefix}_label_{sample_id}_{label}"


def drawing_out(prefix: str, sample_id: int, out: bool) -> str:
    """A drawing's Leave out / Take back button."""
    return f"{prefix}_out_{sample_id}_{int(out)}"
