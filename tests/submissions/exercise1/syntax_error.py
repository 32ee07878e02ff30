import threading

ANSWER_RACE = "b"

def count_with_lock(n_threads=10, increments=1)
    return 0
