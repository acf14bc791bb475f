"""The project's Bot API emulator in a process of its own, for the benchmarks.

Telegram runs elsewhere: its work is not Kesu's. With the emulator in the benchmark's own
process and event loop, every request Kesu makes would also pay for the emulator's
parsing and bookkeeping, on the same core. Here `kesu emulator` runs as a subprocess,
driven through its control API (/_emulator/*), and it stamps each message with the time
it arrived, on its own clock, so latencies are measured where Telegram would see them.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot.sandbox.emulator.server import TOKEN_HEADER

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RemoteEmulator:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.base_url = ""
        self.token = ""
        self._client: aiohttp.ClientSession | None = None

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.base_url}/file/bot"

    async def start(self) -> None:
        port = free_port()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "emulator",
            "--port",
            str(port),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = (await self.process.stdout.readline()).decode()
        found = re.search(r"at (http://\S+)/bot \(token (\S+)\) control (\S+)", line)
        if not found:
            raise SystemExit(f"the emulator did not start: {line!r}")
        self.base_url, self.token = found.group(1), found.group(2)
        # Its control API answers only whoever holds the token it printed.
        self._client = aiohttp.ClientSession(headers={TOKEN_HEADER: found.group(3)})

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self.process is not None:
            self.process.terminate()
            await self.process.wait()

    async def control(self, action: str, body: dict[str, Any]) -> Any:
        assert self._client is not None
        async with self._client.post(f"{self.base_url}/_emulator/{action}", json=body) as answer:
            found = await answer.json()
            if not found.get("ok"):
                raise RuntimeError(f"{action}: {found}")
            return found["result"]

    async def add_user(self, user_id: int, name: str) -> None:
        await self.control("user", {"id": user_id, "first_name": name})

    async def add_group(self, chat_id: int, title: str) -> None:
        await self.control("group", {"id": chat_id, "title": title})

    async def send(self, user_id: int, text: str, chat_id: int | None = None) -> int:
        """A person writes (in their private chat: which also counts as pressing Start)."""
        body: dict[str, Any] = {"user_id": user_id, "text": text}
        if chat_id is not None:
            body["chat_id"] = chat_id
        found = await self.control("send", body)
        return int(found["message_id"])

    async def messages(self, chat_id: int, since: int = 0) -> list[dict[str, Any]]:
        """The chat's messages, from message `since` on (all by default)."""
        assert self._client is not None
        address = f"{self.base_url}/_emulator/chats/{chat_id}?since={since}"
        async with self._client.get(address) as answer:
            found = await answer.json()
            return list(found.get("result", [])) if found.get("ok") else []
