"""The soak benchmark's server: a small asyncio HTTP/1.1 server on 127.0.0.1, run in
its own process so it does not share the clients' interpreter (standard library only).

    python bench/soak_server.py [--delay SECONDS]     # prints the port, serves until killed

Routes: `POST /v1/chat/completions` answers a canned chat completion (after `delay`
seconds, if given); `GET /__stats` answers `{"open": n, "peak": n, "requests": n}`
(connections open now not counting the one asking, the peak since the last reset);
`POST /__reset` restarts the peak from the connections open now. Keep-alive always.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

CHAT_BODY = json.dumps(
    {
        "id": "chatcmpl-soak",
        "object": "chat.completion",
        "created": 1721172741,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_soak",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello!", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
).encode()


class Server:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.open = 0
        self.peak = 0
        self.requests = 0

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                first, _, rest = head.partition(b"\r\n")
                length = 0
                for line in rest.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                path = first.split(b" ")[1]
                if path == b"/__stats":
                    body = json.dumps(
                        {"open": self.open - 1, "peak": self.peak, "requests": 0}
                    ).encode()
                elif path == b"/__reset":
                    self.peak = self.open - 1
                    body = b"{}"
                else:
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    body = CHAT_BODY
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            self.open -= 1
            writer.close()


async def main(delay: float) -> None:
    server = Server(delay)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=4096)
    port = listener.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with listener:
        await listener.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.delay))
    except KeyboardInterrupt:
        sys.exit(0)
