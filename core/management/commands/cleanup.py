from core.jobs.housekeeping import HousekeepingCommand


class Command(HousekeepingCommand):
    help = "Delete old records of every app (each app's housekeeping.cleanup). Run daily."
    function_name = "cleanup"
