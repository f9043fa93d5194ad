"""``python -m devstack.bootstrap``: the set-up behind ``make setup`` and ``make run``.

Standard library only: it runs on the interpreter that builds the venvs, before they exist.

- One set-up at a time per checkout (:mod:`.lock`): a second ``make run`` while the first is
  still installing waits for it, instead of running ``npm ci`` or pip into the same folder
  at the same time (which left ``node_modules/`` empty).
- "Installed" is decided by looking at what is installed (:mod:`.pins` for a venv, every
  package of ``package-lock.json`` for ``node_modules/``, :mod:`.node`), never by a stamp
  file: an interrupted install is found and finished by the next run.
- pip and npm show their progress as counted lines (:mod:`.progress`); their whole output is
  kept in a log file and shown when they fail.
"""
