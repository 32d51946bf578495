"""A third-party ActivityPub peer for the federation tests, built from `bovine` (PyPI).

bovine provides the actor document, WebFinger answer, draft-cavage signing of every GET and
POST, and the verification of incoming signatures (fetching the sender's key with a signed GET).
This file only wires those into a small server that behaves as a peer does: it accepts follows
(answering with a signed Accept), follows others, publishes notes to its followers, sends single
activities (Join/Leave of an event), and records every verified delivery for the test to
inspect at `GET /_received`.

Usage: BOVINE_TEST_HOSTNAME=peer.localhost:PORT python3 bovine_peer.py PORT
"""

import asyncio
import json
import socket
import sys

import aiohttp
from aiohttp.abc import AbstractResolver
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, request

from bovine.clients import lookup_uri_with_webfinger
from bovine.crypto import build_validate_http_signature
from bovine.crypto.types import CryptographicIdentifier
from bovine.testing.server import ServerConfig

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


class LocalhostResolver(AbstractResolver):
    """`*.localhost` is loopback (RFC 6761); the system resolver may not know it."""

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self):
        pass


def build(port: int) -> Quart:
    config = ServerConfig.from_env()
    actor = config.create_actor()
    actor_object = config.create_actor_object()
    actor_object["followers"] = f"{config.actor_id}/followers"
    app = Quart(__name__)
    received = []
    followers = {}  # follower actor id -> inbox

    @app.before_serving
    async def startup():
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=LocalhostResolver())
        )
        await actor.init(session=session)

    async def fetch_public_key(key_id):
        document = await actor.get(key_id.split("#")[0])
        return CryptographicIdentifier.from_public_key(document["publicKey"])

    verify = build_validate_http_signature(fetch_public_key)

    async def inbox_of(actor_id):
        document = await actor.get(actor_id)
        endpoints = document.get("endpoints") or {}
        return endpoints.get("sharedInbox") or document["inbox"]

    @app.get("/.well-known/webfinger")
    async def webfinger():
        return config.webfinger_response, 200, {"content-type": "application/jrd+json"}

    @app.get("/actor")
    async def get_actor():
        return actor_object, 200, {"content-type": "application/activity+json"}

    @app.post("/inbox")
    async def post_inbox():
        controller = await verify(request)
        if not controller:
            return "signature did not verify", 401
        activity = await request.get_json(force=True)
        if activity.get("actor") != controller:
            return "key owner is not the actor", 401
        received.append({"controller": controller, "activity": activity})
        if activity.get("type") == "Follow" and activity.get("object") == config.actor_id:
            follower = activity["actor"]
            followers[follower] = await inbox_of(follower)
            accept = {
                "@context": AS_CONTEXT,
                "id": config.make_id(),
                "type": "Accept",
                "actor": config.actor_id,
                "object": activity,
            }
            await actor.post(followers[follower], accept)
        return "", 202

    @app.get("/_received")
    async def get_received():
        return {"received": received, "followers": sorted(followers)}

    @app.post("/_follow")
    async def follow():
        """Body: {"account": "acct:blog@blog.localhost:1234", "domain": "http://blog.localhost:1234"}"""
        body = await request.get_json(force=True)
        target, _ = await lookup_uri_with_webfinger(
            actor.session, body["account"], domain=body["domain"]
        )
        if not target:
            return {"error": "webfinger found nothing"}, 404
        activity = {
            "@context": AS_CONTEXT,
            "id": config.make_id(),
            "type": "Follow",
            "actor": config.actor_id,
            "object": target,
        }
        response = await actor.post(await inbox_of(target), activity)
        return {"actor": target, "follow": activity["id"], "status": response.status}

    @app.post("/_send")
    async def send():
        """Body: {"type": "Join", "object": <id or activity>, "to": <actor id>[, "id": <id>,
        "actor": <claimed actor>, "inbox": <inbox URL>]}:
        one activity of the peer's actor, signed, to that actor's inbox (RSVPs as Mobilizon
        sends them: Join, Leave, Undo), or to the inbox given (when the actor's document is
        gone)."""
        body = await request.get_json(force=True)
        activity = {
            "@context": AS_CONTEXT,
            "id": body.get("id") or config.make_id(),
            "type": body["type"],
            # A test may claim another actor (a forgery the receiver must refuse).
            "actor": body.get("actor") or config.actor_id,
            "to": [body["to"]],
            "object": body["object"],
        }
        try:
            inbox = body.get("inbox") or await inbox_of(body["to"])
            response = await actor.post(inbox, activity)
            status = response.status
        except aiohttp.ClientResponseError as refused:  # bovine raises on 4xx/5xx
            status = refused.status
        return {"id": activity["id"], "status": status}

    @app.post("/_publish")
    async def publish():
        """Body: {"content": "<p>…</p>"}: a public note to every follower."""
        body = await request.get_json(force=True)
        note = {
            "id": config.make_id(),
            "type": "Note",
            "attributedTo": config.actor_id,
            "content": body["content"],
            "published": "2026-11-29T12:00:00Z",
            "to": [AS_PUBLIC],
            "cc": [actor_object["followers"]],
        }
        create = {
            "@context": AS_CONTEXT,
            "id": config.make_id(),
            "type": "Create",
            "actor": config.actor_id,
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
        statuses = []
        for inbox in sorted(set(followers.values())):
            response = await actor.post(inbox, create)
            statuses.append(response.status)
        return {"create": create["id"], "note": note["id"], "statuses": statuses}

    return app


def main():
    port = int(sys.argv[1])
    hyper = Config()
    hyper.bind = [f"127.0.0.1:{port}"]
    hyper.accesslog = None
    asyncio.run(serve(build(port), hyper))


if __name__ == "__main__":
    main()
