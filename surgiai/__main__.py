"""`python -m surgiai` and the `surgiai` command. A Ctrl-C ends the program quietly (exit 130),
whenever it comes: also while it is still importing, as `surgiai run`'s worker processes are
when a Ctrl-C right after the start makes the web process stop them."""

import sys


def main() -> None:
    try:
        from surgiai.cli import app

        app(prog_name="surgiai")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
