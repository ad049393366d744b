"""`make chat`: the same bot in the terminal. Ends on "quit", "exit" or end of input (Ctrl-D)."""

from __future__ import annotations

from collections.abc import Callable

from . import config
from .bot import Bot

QUIT_WORDS = {"quit", "exit", ":q"}


def repl(
    bot: Bot,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    show_intent: bool = True,
) -> int:
    """Read a message, print the reply, until the user quits. Returns how many were answered."""
    write('Type a message ("quit" or Ctrl-D to leave).')
    answered = 0
    while True:
        try:
            message = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            break
        if message.lower() in QUIT_WORDS:
            break
        if not message:
            continue
        if len(message) > config.MAX_MESSAGE_CHARS:
            write(f"bot> That is too long: at most {config.MAX_MESSAGE_CHARS} characters, please.")
            continue
        reply = bot.reply(message)
        write(f"bot> {reply.text}")
        if show_intent:
            found = "".join(f"; {e.label}={e.text}" for e in reply.entities)
            write(f"     [{reply.intent} {reply.confidence:.2f}{found}]")
        answered += 1
    write("bot> Goodbye!")
    return answered
