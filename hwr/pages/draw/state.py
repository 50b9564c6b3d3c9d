"""The Draw page's session state: every key it keeps in ``st.session_state``, named once
here with what it holds, so that the page's modules share one name for each."""

# The last drawing read and the page's own pace (page.py)
LAST_RESULT = "hwr_last_result"  # (signature, image, result) of the last drawing read
LAST_RUN = "hwr_last_recognition"  # time.monotonic() of the last recognition
PAGE_SENT = "hwr_page_sent"  # this session's page has gone out to its browser once
MODE = "mode"  # the canvas chosen: one digit or several (a widget's key)
STROKE_WIDTH = "stroke_width"  # the sidebar's stroke width (a widget's key)
UPLOAD = "upload"  # the uploaded image (a widget's key)

# What the drawing does for the class (sharing.py)
CONFIRM = "hwr_confirm"  # key prefix of the digits tapped to save a drawing as
FILED = "hwr_filed"  # the id of the last drawing saved to the class collection
GENERATED = "hwr_generated_name"  # this session's generated nickname ("Quick Otter")
NICKNAME = "nickname"  # the sidebar's nickname box (a widget's key)
NICKNAME_HERE = "hwr_nickname_here"  # the page's own nickname box (nickname_line)
WALL_DRAWING = "wall_drawing"  # (class id, drawing id) last posted to the wall
WALL_POSTED = "hwr_wall_posted"  # what was last posted (class, drawing, its strokes, the
# nickname, the answer): a run that brings nothing new posts nothing again
ERASED = "hwr_erased"  # (class id, drawing id): the student deleted their drawings up to
# this one-digit drawing (Delete my drawings): none of them goes to the class again

# A round on the page (round_prompt.py)
ROUND_NOTE = "hwr_round_note"  # the sentence under the round's Done, until the next try
ROUND_LOOKED = "hwr_round_looked"  # the round whose entry was looked up in the database
SHOWN = "hwr_page_shows"  # (class id, round id) the drawing area was last drawn for
CHANNEL_OPEN = "hwr_channel_open"  # the canvas's answer channel is open: class events
# come over it, and the page does not poll for them
POLLS = "hwr_polls"  # the page's last full run polled for the class's changes
CLASS_EVENT = "hwr_class_event"  # the channel said the class changed: read it afresh
COUNTDOWN, DONE, MEANT = "hwr_countdown_", "hwr_done_", "hwr_meant_"  # + a round id: its widgets

# Live answers, speech and the look inside the network (live.py, inside_network.py)
LIVE_LAST = "hwr_live_last"  # time.monotonic() of this session's last live answer
LIVE_KEY, LIVE_PRESENTATION_KEY = "live", "live_presentation"  # the live switches
INSIDE = "inside"  # the "Inside the network" switch (a widget's key)
LAST_INSIDE = "hwr_last_inside"  # (model input bytes, explanation) last shown
