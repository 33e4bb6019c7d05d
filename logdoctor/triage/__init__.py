"""Issue triage: read a GitHub issue as it was filed and answer it (`logdoctor issue`, action.yml).

body.py finds the log and the complaint in the issue, api.diagnose reads them like any log,
comment.py decides whether the answer is worth a comment and writes it, github.py posts it (or
updates the comment it posted before) through GitHub's REST API.
"""
