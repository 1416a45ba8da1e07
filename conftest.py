"""Doctest collection over the packages (``--doctest-modules`` with testpaths nasbench and strategies).

The ``nasbench.train`` subpackage needs the optional ``train`` extra (torch); without it its modules
cannot be imported, so their doctests are not collected (the training tests in ``tests/`` skip
themselves the same way).
"""

from __future__ import annotations

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("torch") else ["nasbench/train/*"]
