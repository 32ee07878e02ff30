#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04 base image,
# whose python3 is 3.10). It installs the grader, hidden checks included, into a virtual environment
# outside /autograder that every user can run: the grader runs each submission's code as `nobody`.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "the grader needs Python 3.10 or newer")'
python3 -m venv /opt/concurrency-grader
/opt/concurrency-grader/bin/pip install --quiet --no-cache-dir /autograder/source/grader-src
chmod -R a+rX /opt/concurrency-grader
