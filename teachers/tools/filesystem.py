"""``filesystem``: a small per-sample in-memory file system (write / read / list / delete).

    >>> from teachers.tools.filesystem import FileSystem
    >>> fs = FileSystem(); st = fs.new_state()
    >>> fs.run(st, op="write", path="notes/todo.txt", content="buy milk")
    {'ok': True, 'path': '/notes/todo.txt', 'bytes': 8}
    >>> fs.run(st, op="list", path="/notes")
    {'entries': ['todo.txt']}
    >>> fs.run(st, op="read", path="/notes/todo.txt")
    {'content': 'buy milk'}

Paths are POSIX, normalised to absolute (``a/../b`` -> ``/b``; ``..`` cannot climb above ``/``).
Directories exist implicitly as prefixes of file paths; ``list`` of a directory shows its
immediate children (sub-directories end with ``/``). Reading, deleting or listing what does not
exist is a :class:`ToolError`. Nothing touches the real disk.
"""

from __future__ import annotations

import posixpath

from teachers.tools.base import Tool, ToolError

MAX_FILES = 200
MAX_FILE_CHARS = 100_000


def normpath(path: str) -> str:
    p = posixpath.normpath("/" + path.strip())
    # normpath keeps a leading '//' (POSIX allows it to mean something special); we do not.
    return "/" + p.lstrip("/")


class FileSystem(Tool):
    name = "filesystem"
    description = "In-memory files. op=write (path, content), read (path), list (directory path), delete (path)."
    parameters = {
        "type": "object",
        "properties": {
            "op": {"type": "string", "enum": ["write", "read", "list", "delete"], "description": "Operation."},
            "path": {"type": "string", "description": "File or directory path, e.g. /notes/a.txt."},
            "content": {"type": "string", "description": "Text to write (write only)."},
        },
        "required": ["op", "path"],
        "additionalProperties": False,
    }

    def new_state(self) -> dict[str, str]:
        return {}

    def run(self, state: dict[str, str], op: str, path: str, content: str | None = None) -> dict:
        p = normpath(path)
        if op == "write":
            if content is None:
                raise ToolError("op 'write' needs 'content'")
            if p == "/" or any(k.startswith(p + "/") for k in state):
                raise ToolError(f"is a directory: {p}")
            if len(content) > MAX_FILE_CHARS:
                raise ToolError(f"content longer than {MAX_FILE_CHARS} characters")
            if p not in state and len(state) >= MAX_FILES:
                raise ToolError(f"file system is full ({MAX_FILES} files)")
            state[p] = content
            return {"ok": True, "path": p, "bytes": len(content.encode())}
        if op == "list":
            prefix = p.rstrip("/") + "/"
            children = set()
            for k in state:
                if k.startswith(prefix):
                    head, sep, _ = k[len(prefix):].partition("/")
                    children.add(head + "/" if sep else head)
            if not children and p != "/":
                raise ToolError(f"no such directory: {p}")
            return {"entries": sorted(children)}
        if p not in state:
            raise ToolError(f"no such file: {p}")
        if op == "read":
            return {"content": state[p]}
        del state[p]  # op == "delete"
        return {"ok": True, "path": p}
