"""`make run`'s first step: is 127.0.0.1:PORT free for the web server? Exit 1 with a clear message if not.

It binds the port as Django's runserver does (SO_REUSEADDR, so the last run's closing connections do not
count), and lets it go at once.
"""

import socket
import sys


def main(argument: str) -> int:
    if not argument.isdigit() or not 0 < int(argument) < 65536:
        print(f"PORT must be a number from 1 to 65535, not {argument!r}: make run PORT=8001", file=sys.stderr)
        return 1
    port = int(argument)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            print(
                f"Port {port} on 127.0.0.1 is not free ({error.strerror}): stop what uses it, or choose another "
                f"port: make run PORT={port + 1}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
