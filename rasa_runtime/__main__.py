"""`python -m rasa_runtime run …`: Rasa's own command line, with `patches.install()` first."""
from rasa_runtime import patches


def main() -> None:
    patches.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
