"""Drives a command in a real pseudo-terminal (80x24), as a person at a keyboard would.

Usage: python3 terminal.py '{"cmd": [...], "cwd": "...", "steps": [["regex", "keys"], ...], "timeout": 60}'
Each step waits until the screen output (ANSI codes removed) matches the regex after the
previous match, then types the keys. Prints {"output": ..., "code": ...} as JSON.
"""

import fcntl
import json
import os
import pty
import re
import select
import struct
import sys
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")


def main() -> None:
    spec = json.loads(sys.argv[1])
    deadline = time.monotonic() + spec.get("timeout", 60)
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(spec["cwd"])
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "80", "LINES": "24", **spec.get("env", {})}
        os.execvpe(spec["cmd"][0], spec["cmd"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    raw = b""
    seen = 0  # where the next step starts looking

    def pump(wait: float) -> bool:
        nonlocal raw
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        raw += chunk
        return bool(chunk)

    for pattern, keys in spec["steps"]:
        regex = re.compile(pattern)
        while True:
            text = ANSI.sub(b"", raw).decode("utf-8", "replace")
            match = regex.search(text, seen)
            if match:
                seen = match.end()
                break
            if time.monotonic() > deadline or not pump(0.2):
                print(json.dumps({"output": text, "code": None, "error": f"never saw {pattern!r}"}))
                return
        time.sleep(0.15)
        os.write(fd, keys.encode())
    while time.monotonic() < deadline and pump(0.2):
        pass
    _, status = os.waitpid(pid, 0)
    text = ANSI.sub(b"", raw).decode("utf-8", "replace")
    print(json.dumps({"output": text, "code": os.waitstatus_to_exitcode(status)}))


if __name__ == "__main__":
    main()
