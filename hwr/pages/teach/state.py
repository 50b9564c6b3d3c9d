"""The Teach page's own session state, named once (the round's and the wall's keys are
the lesson's: ``hwr.pages.shared.lesson``)."""

END_ASKED = "hwr_end_asked"  # the class whose "End the class?" is open
PROJECTING = "hwr_projecting"  # (class id, key) this session was let into the projector view
