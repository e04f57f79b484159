"""Grading untrusted notebooks: the student's code and the course's checks never share a process.

For each submitted notebook, ``tools.grade`` starts a **checker** (a fresh Python process that
imports the pristine ``course_utils`` and runs the course's own check cells) and the checker
starts a **worker** inside a sandbox (``sandbox``: bubblewrap, read-only file system, no network,
resource limits) that executes the student's cells. The check cells see the student's answers
only as *data* (numbers, strings, arrays, lists, dicts: ``wire``) or as *remote functions* whose
calls cross the boundary as data; no object, function or module of the student's process ever
enters the checker. So nothing the student's code does (rebinding names, monkeypatching
``course_utils``, numpy or builtins, IPython hooks, printing fake ✓ lines, killing its kernel,
writing files) can change what a check computes.
"""
