"""Correct: each child sends its item down its own Pipe; the strings come from os.urandom."""
# expect-fail:
import multiprocessing as mp
import os
import string

ANSWER_LIST = "c"
CHARS = string.ascii_letters + string.digits


def send(conn):
    conn.send("item")
    conn.close()


def collect_items(n_processes=5):
    if n_processes < 1:
        raise ValueError("n_processes < 1")
    pipes, procs = [], []
    for _ in range(n_processes):
        receiver, sender = mp.Pipe(duplex=False)
        proc = mp.Process(target=send, args=(sender,))
        proc.start()
        sender.close()
        pipes.append(receiver)
        procs.append(proc)
    items = [r.recv() for r in pipes]
    for proc in procs:
        proc.join()
    return items


def random_text(length, queue):
    queue.put("".join(CHARS[b % len(CHARS)] for b in os.urandom(length)))


def rand_strings(count=4, length=5):
    if count < 1:
        raise ValueError("bad count")
    if length < 0:
        raise ValueError("bad length")
    queue = mp.Queue()
    procs = [mp.Process(target=random_text, args=(length, queue)) for _ in range(count)]
    for proc in procs:
        proc.start()
    out = [queue.get() for _ in range(count)]
    for proc in procs:
        proc.join()
    return out
