"""Maintainer scripts of the course, each run from the project root as ``python -m tools.NAME``.

``bench`` (benchmarks, ``make bench``), ``build_book`` (the static site), ``grade`` and ``student``
(the teaching assistants' kit), ``make_digits`` and ``make_reference`` (regenerate the shipped data
and the torch reference fixtures), ``nbexec`` (a patient notebook client), ``nbtext`` (notebooks
to and from plain text), ``playground`` (the Voilà app).
"""
