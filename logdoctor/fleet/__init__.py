"""Many logs at once: which of my servers are sick, and why?

One row per log (`rows.Row`: verdict, the cause it rests on, key facts) and a summary by cause
(`rows.summarize`), computed by `api.diagnose` and nothing else, so a fleet row says what
`logdoctor diagnose` says of the same log. Where the logs are diagnosed is the only difference:
`local` runs a process pool on this machine, `onray` runs Ray Data actors on a cluster (the
`ray` extra). `inputs` turns folders and globs into log files; `render` writes text, JSON lines,
CSV and Markdown.
"""
