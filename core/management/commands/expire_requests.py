from core.jobs.housekeeping import HousekeepingCommand


class Command(HousekeepingCommand):
    help = "Expire stale requests and codes of every app (each app's housekeeping.expire). Run every minute."
    function_name = "expire"
