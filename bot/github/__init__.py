"""GitHub delivery: PR files and diff mapping, review posting, annotations, job summary.

The only layer that imports PyGithub, unidiff or reads ``GITHUB_*``. It moves data and
never decides findings.
"""
