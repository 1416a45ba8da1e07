"""pytest's view of the package: doctests of every module run with the tests (``--doctest-modules``).

The ``nasbench.train`` subpackage needs the optional ``train`` extra (torch); without it its modules
cannot be imported, so their doctests are not collected (the training tests in ``tests/`` skip
themselves the same way). Nothing else imports this module.
"""

from __future__ import annotations

import importlib.util


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a finder that refuses it, or None in sys.modules: absent
        return False


collect_ignore_glob = [] if _installed("torch") else ["train/*"]
