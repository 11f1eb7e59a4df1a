"""Run work in real threads, each with its own database connection, released at the same moment."""

import threading

from django.db import connection


def in_parallel(function, n: int) -> list:
    """Run function(i) in n threads released together; each result, or the exception it raised."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = function(i)
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
