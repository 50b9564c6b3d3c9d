"""The class teaching the model its handwriting, as a service outside the pages: no
page and no Streamlit here; a page builds the service from what it has and shows its
state.

- ``service``: ``Teaching(engine, store)`` for one class database on this server:
  ``start(load_digits, class_name, class_id)``, ``job`` (this server's latest), ``not_ready(labels)``
  (the page's check before its button), ``running_elsewhere()``, ``stopped_elsewhere()``
  and ``forget_stopped_elsewhere()``, ``dismiss()``; the database lock (``LOCK``), the
  replay digits (``replay_digits``), the button's settings (``BUTTON_CONFIG``).
- ``jobs``: ``FineTuneJob``, one fine-tune in a thread: ``progress``, ``cancel()``,
  ``wait()``, and at the end ``version`` or ``message`` (why not).
- ``sentences``: every sentence the service says, once.

Its sentences are ``hwr.translation.Message``s, said in the language of whoever reads
them.
"""
