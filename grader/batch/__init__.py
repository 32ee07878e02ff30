"""Grading a whole class: `grade batch SUBMISSIONS --out RESULTS`.

  roster.py     the optional roster CSV: ids, names, students who submitted nothing
  archive.py    reading a student's zip safely (no path outside, size and file-count caps)
  discover.py   one folder or zip per student under SUBMISSIONS; where each exercise file sits
  jobs.py       one job per student and exercise: its files, their content hash, the catalog's hash
  grading.py    grading one job, whatever happens, into an exercise result (never an exception)
  executor.py   running jobs: a local process pool; timing checks alone; Dask where installed
  store.py      results.jsonl: one whole line per grading, read back to resume
  gradebook.py  gradebook.csv and checks.csv, rewritten atomically
  feedback.py   feedback/<student>.md, the report a student gets back
  summary.py    summary.md: counts, means, the checks failed most, the submissions in trouble
  progress.py   a progress bar on a terminal, plain lines otherwise
  run.py        the batch itself: plan, skip what is done, grade, retry the open checks, write
"""
