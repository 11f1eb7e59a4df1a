"""Background work: jobs a client polls, tasks enqueued on commit, and the housekeeping that expires and cleans up."""
